/* kesu expressions on the device: evaluates the JSON tree of questionnaires.expressions
 * (Expression.to_json) with the server's semantics, and walks the skip logic as
 * survey.flow.walk does. One definition: the tree comes from the questionnaire; the
 * server evaluates the same text. tests/survey/test_expr_js.py runs both on generated cases.
 *
 * Values: null (unanswered), numbers, booleans, strings, arrays (an answer list);
 * a tuple written in an expression is an array marked with .tuple = true.
 */
(function (root) {
  'use strict';

  function isNum(x) { return typeof x === 'number' || typeof x === 'boolean'; }
  function num(x) { return typeof x === 'boolean' ? (x ? 1 : 0) : x; }
  function isSeq(x) { return Array.isArray(x); }

  /* Python's bool(): None, False, 0, '', empty list are false */
  function truthy(x) {
    if (x === null || x === undefined) return false;
    if (isSeq(x)) return x.length > 0;
    if (typeof x === 'string') return x.length > 0;
    if (typeof x === 'boolean') return x;
    if (typeof x === 'number') return x !== 0;
    return true;
  }

  /* Python's str() for the values answers hold */
  function pyStr(x) {
    if (x === null || x === undefined) return 'None';
    if (x === true) return 'True';
    if (x === false) return 'False';
    if (typeof x === 'number') {
      if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x);
      return String(x);
    }
    if (isSeq(x)) return (x.tuple ? '(' : '[') + x.map(pyRepr).join(', ') + (x.tuple && x.length === 1 ? ',)' : x.tuple ? ')' : ']');
    return String(x);
  }
  function pyRepr(x) { return typeof x === 'string' ? "'" + x + "'" : pyStr(x); }

  /* Python's float(text): surrounding spaces, digits with one point, exponent, inf/nan */
  var FLOAT = /^[+-]?((\d(_?\d)*)(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)([eE][+-]?\d(_?\d)*)?$/;
  function pyFloat(s) {
    var t = s.trim();
    if (FLOAT.test(t)) return Number(t.replace(/_/g, ''));
    var low = t.toLowerCase().replace(/^[+-]/, '');
    if (low === 'inf' || low === 'infinity') return t[0] === '-' ? -Infinity : Infinity;
    if (low === 'nan') return NaN;
    return undefined;
  }

  /* _same_kind: a numeric answer compares with a numeric string code */
  function sameKind(a, b) {
    if (typeof a === 'string' && typeof b === 'number') {
      var fa = pyFloat(a);
      if (fa !== undefined) return [fa, b];
    } else if (typeof b === 'string' && typeof a === 'number') {
      var fb = pyFloat(b);
      if (fb !== undefined) return [a, fb];
    }
    return [a, b];
  }

  var TYPE_ERROR = {};

  function eq(a, b) {
    if (a === null || b === null) return a === b;
    if (isNum(a) && isNum(b)) return num(a) === num(b);
    if (typeof a === 'string' && typeof b === 'string') return a === b;
    if (isSeq(a) && isSeq(b)) {
      if (!!a.tuple !== !!b.tuple || a.length !== b.length) return false;
      for (var i = 0; i < a.length; i++) if (!eq(a[i], b[i])) return false;
      return true;
    }
    return false;
  }

  /* -1, 0, 1, or TYPE_ERROR where Python cannot order the two */
  function order(a, b) {
    if (isNum(a) && isNum(b)) { a = num(a); b = num(b); return a < b ? -1 : a > b ? 1 : a === b ? 0 : TYPE_ERROR; }
    if (typeof a === 'string' && typeof b === 'string') {
      var ca = Array.from(a), cb = Array.from(b);
      for (var i = 0; i < Math.min(ca.length, cb.length); i++) {
        var x = ca[i].codePointAt(0), y = cb[i].codePointAt(0);
        if (x !== y) return x < y ? -1 : 1;
      }
      return ca.length < cb.length ? -1 : ca.length > cb.length ? 1 : 0;
    }
    if (isSeq(a) && isSeq(b) && !!a.tuple === !!b.tuple) {
      for (var j = 0; j < Math.min(a.length, b.length); j++) {
        if (eq(a[j], b[j])) continue;
        return order(a[j], b[j]);
      }
      return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
    }
    return TYPE_ERROR;
  }

  function compare(op, left, right) {
    if (op === 'in' || op === 'not in') {
      if (left === null || right === null) return false;
      var found;
      if (isSeq(right)) found = right.some(function (v) { return pyStr(v) === pyStr(left); });
      else found = pyStr(left) === pyStr(right);
      return op === 'in' ? found : !found;
    }
    if (left === null || right === null) {
      if (op === '==') return left === null && right === null;
      if (op === '!=') return !(left === null && right === null);
      return false;
    }
    var p = sameKind(left, right);
    if (op === '==') return eq(p[0], p[1]);
    if (op === '!=') return !eq(p[0], p[1]);
    var o = order(p[0], p[1]);
    if (o === TYPE_ERROR) return false;
    if (op === '<') return o < 0;
    if (op === '<=') return o <= 0;
    if (op === '>') return o > 0;
    return o >= 0;
  }

  /* Python's float floor division (Objects/floatobject.c float_divmod) */
  function floorDiv(x, y) {
    var mod = x % y, div = (x - mod) / y;
    if (mod && ((y < 0) !== (mod < 0))) div -= 1;
    if (!div) return 0 * (x / y) || 0;
    var fl = Math.floor(div);
    if (div - fl > 0.5) fl += 1;
    return fl;
  }
  function pyMod(x, y) { var r = x % y; return r !== 0 && (r < 0) !== (y < 0) ? r + y : r; }

  function arith(op, x, y) {
    if (x === null || y === null) return null;
    var p = sameKind(x, y); x = p[0]; y = p[1];
    if (!(isNum(x) && isNum(y))) {
      return op === '+' && typeof x === 'string' && typeof y === 'string' ? x + y : null;
    }
    x = num(x); y = num(y);
    if ((op === '/' || op === '//' || op === '%') && y === 0) return null;
    if (op === '+') return x + y;
    if (op === '-') return x - y;
    if (op === '*') return x * y;
    if (op === '/') return x / y;
    if (op === '//') return floorDiv(x, y);
    return pyMod(x, y);
  }

  /* round half to even, as Python's round() */
  function roundEven(x, digits) {
    var f = Math.pow(10, digits);
    var y = x * f;
    if (!Number.isFinite(y)) return x;
    var r = Math.round(y);
    if (Math.abs(y % 1) === 0.5 && r % 2 !== 0) r -= 1;
    var out = r / f;
    return out === 0 ? 0 * Math.sign(x) || 0 : out;
  }

  function numeric(fn) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      if (!args.every(isNum)) return null;
      return fn.apply(null, args.map(num));
    };
  }

  /* Python's min/max over numbers: the first extreme argument itself (True stays True) */
  function pick(args, better) {
    var list = Array.prototype.slice.call(args);
    if (!list.every(isNum)) return null;
    var best = list[0];
    for (var i = 1; i < list.length; i++) if (better(num(list[i]), num(best))) best = list[i];
    return best;
  }

  var FUNCTIONS = {
    selected: function (value, code) {
      if (value === null) return false;
      if (isSeq(value)) return value.some(function (v) { return pyStr(v) === pyStr(code); });
      return pyStr(value) === pyStr(code);
    },
    count: function (value) { return value === null ? 0 : isSeq(value) ? value.length : 1; },
    answered: function (value) {
      if (value === null || value === '') return false;
      return !(isSeq(value) && value.length === 0);
    },
    length: function (value) {
      if (value === null) return 0;
      if (isSeq(value)) return Array.from(value.map(pyStr).join(' ')).length;
      return Array.from(pyStr(value)).length;
    },
    coalesce: function () {
      for (var i = 0; i < arguments.length; i++) if (arguments[i] !== null) return arguments[i];
      return null;
    },
    abs: numeric(Math.abs),
    min: function () { return pick(arguments, function (a, b) { return a < b; }); },
    max: function () { return pick(arguments, function (a, b) { return a > b; }); },
    round: function (x, digits) {
      if (arguments.length === 1) return isNum(x) ? roundEven(num(x), 0) : null;
      if (!isNum(x) || digits === null || typeof digits !== 'number' || !Number.isInteger(digits)) return null;
      return roundEven(num(x), digits);
    }
  };

  function evaluate(tree, env) {
    switch (tree[0]) {
      case 'c': return tree[1];
      case 'v': return Object.prototype.hasOwnProperty.call(env, tree[1]) && env[tree[1]] !== undefined ? env[tree[1]] : null;
      case 't': { var t = tree[1].map(function (e) { return evaluate(e, env); }); t.tuple = true; return t; }
      case 'and': return tree[1].every(function (e) { return truthy(evaluate(e, env)); });
      case 'or': return tree[1].some(function (e) { return truthy(evaluate(e, env)); });
      case 'not': return !truthy(evaluate(tree[1], env));
      case 'neg': { var v = evaluate(tree[1], env); return isNum(v) ? -num(v) : null; }
      case 'pos': return evaluate(tree[1], env);
      case 'cmp': {
        var current = evaluate(tree[1], env);
        for (var i = 0; i < tree[2].length; i++) {
          var right = evaluate(tree[2][i][1], env);
          if (!compare(tree[2][i][0], current, right)) return false;
          current = right;
        }
        return true;
      }
      case 'bin': return arith(tree[1], evaluate(tree[2], env), evaluate(tree[3], env));
      case 'if': return truthy(evaluate(tree[1], env)) ? evaluate(tree[2], env) : evaluate(tree[3], env);
      case 'call': {
        var args = tree[2].map(function (e) { return evaluate(e, env); });
        return FUNCTIONS[tree[1]].apply(null, args);
      }
    }
    throw new Error('unknown expression node ' + tree[0]);
  }

  function test(tree, env) { return truthy(evaluate(tree, env)); }

  function isAnswered(value) {
    if (value === null || value === undefined || value === '') return false;
    return !(isSeq(value) && value.length === 0);
  }

  /* questionnaire.environment(): answers, survey_year, then the derived variables in order */
  function environment(form, answers, surveyYear) {
    var env = { survey_year: surveyYear || form.reference_year };
    Object.keys(answers).forEach(function (k) { env[k] = answers[k]; });
    form.derived.forEach(function (d) { env[d.name] = evaluate(d.expr, env); });
    return env;
  }

  /* survey.flow.walk: visible sections and items; answers of hidden items dropped */
  function walk(form, answers, surveyYear) {
    var kept = {}, shown = [];
    form.sections.forEach(function (section) {
      if (section.relevant && !test(section.relevant, environment(form, kept, surveyYear))) return;
      var items = [];
      section.items.forEach(function (item) {
        if (item.relevant && !test(item.relevant, environment(form, kept, surveyYear))) return;
        items.push(item);
        item.variables.forEach(function (v) {
          if (Object.prototype.hasOwnProperty.call(answers, v) && isAnswered(answers[v])) kept[v] = answers[v];
        });
      });
      if (items.length) shown.push({ section: section, items: items });
    });
    return { answers: kept, sections: shown };
  }

  /* the checks survey.answers.apply_page makes once the values are parsed: required and
   * constraint on the visible items of one page; returns {variable: error code} */
  function checkPage(form, sectionId, answers, surveyYear) {
    var after = walk(form, answers, surveyYear);
    var page = after.sections.filter(function (s) { return s.section.id === sectionId; })[0];
    var errors = {};
    if (!page) return { errors: errors, visibility: after };
    var env = environment(form, after.answers, surveyYear);
    page.items.forEach(function (item) {
      item.variables.forEach(function (v) {
        if (!isAnswered(after.answers[v]) && item.required) errors[v] = 'required';
      });
      var filtered = (item.options || []).some(function (o) { return o.relevant; });
      if (filtered && !(item.id in errors)) {
        var shownCodes = offered(item.options, env).map(function (o) { return o.code; });
        var chosen = after.answers[item.id];
        var codes = isSeq(chosen) ? chosen : chosen === undefined || chosen === null ? [] : [chosen];
        if (codes.some(function (c) { return shownCodes.indexOf(c) < 0; })) errors[item.id] = 'not_offered';
      }
      if (item.constraint && !item.variables.some(function (v) { return v in errors; })) {
        if (item.variables.every(function (v) { return isAnswered(after.answers[v]); }) && !test(item.constraint, env)) {
          errors[item.variables[0]] = 'constraint';
        }
      }
    });
    return { errors: errors, visibility: after };
  }

  /* survey.flow.offered: the options whose condition on earlier answers holds */
  function offered(options, env) {
    return options.filter(function (o) { return !o.relevant || test(o.relevant, env); });
  }

  var api = { offered: offered, evaluate: evaluate, test: test, truthy: truthy, walk: walk, environment: environment,
              checkPage: checkPage, isAnswered: isAnswered };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.kesuExpr = api;
})(this);
