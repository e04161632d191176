"""The strings of the PDF reports and the web dashboard, in Chinese (default) and English.

One part of the one catalogue :mod:`kesu.i18n` (look strings up with
:func:`kesu.i18n.tr`). Questionnaire labels (towns, groups, levels, dimensions, options)
come from the questionnaire, never from here; AAPOR categories from
:mod:`kesu.strings.outcomes`.
"""

from __future__ import annotations

_ZH: dict[str, str] = {
    "dash_title": "{wave} · 实时结果",
    "dash_live": "以下为目前已完成问卷的即时估计，口径与PDF报告相同；调查结束前数字会变化。",
    "dash_pdf": "下载PDF报告（{language}）",
    "dash_pdf_zh": "中文",
    "dash_pdf_en": "英文",
    "dash_respondents": "已完成问卷：{n} 份",
    "dash_no_data": "这一轮调查还没有完成的问卷，暂无结果。",
    "fingerprint_line": "问卷 {q} · 数据 {rows} 条 {data} · 作业 {job} · kesu {version}",
    "title": "{survey}评估报告",
    "wave_line": "调查轮次：{wave}（{year}年）",
    "subtitle": "义乌市全民科学素质行动监测评估",
    "synthetic": "本报告使用模拟数据（非真实调查），仅用于演示和测试。",
    "synthetic_short": "模拟数据",
    "generated": "生成日期：{date}",
    "footer": "第 {page} 页 / 共 {pages} 页",
    "toc": "目  录",
    "summary": "摘要",
    "headline": "具备科学素质的公民比例",
    "headline_value": "{rate}%",
    "headline_ci_level": "{level}%置信区间：{low}%–{high}%；样本量 {n} 人",
    "change": (
        "与{year}年（{wave}）相比变化 {diff} 个百分点（{level}%置信区间 {low}–{high}，{p}），{v"
        "erdict}。"
    ),
    "change_sig": "变化具有统计学显著性",
    "change_nonsig": "变化不具有统计学显著性",
    "no_previous": "没有上一轮调查的数据，无法比较变化。",
    "compare_head": "与参照水平比较",
    "compare_above": "高于{label}（{rate}%，{year}年）",
    "compare_below": "低于{label}（{rate}%，{year}年）",
    "compare_same": "与{label}（{rate}%，{year}年）无显著差异",
    "ref_national": "全国",
    "ref_zhejiang": "浙江省",
    "ref_target": "目标",
    "ref_line": "{label} {rate}%（{year}年）",
    "findings": "主要结论",
    "finding_groups": "重点人群中，{high}的比例最高，为{high_rate}；{low}最低，为{low_rate}。",
    "finding_towns": (
        "在估计可靠的{k}个镇街中，{high}最高，为{high_rate}；{low}最低，为{low_rate}。"
    ),
    "finding_towns_differ": "各镇街之间的差异超出抽样误差（Rao-Scott检验，{p}）。",
    "finding_towns_same": (
        "各镇街之间的差异未超出抽样误差（Rao-Scott检验，{p}），高低之分不能确定。"
    ),
    "finding_close_pair": "{a}与{b}",
    "finding_pair_sep": "，以及",
    "finding_order_uncertain": "其中{pairs}，{level}%置信区间相互重叠，谁高谁低并不确定。",
    "finding_capacity": "{n}项能力建设指标中有{k}项进度滞后：{names}。",
    "finding_capacity_ok": "{n}项能力建设指标均按计划推进或已完成。",
    "finding_capacity_no_off": "{n}项能力建设指标中没有判定为进度滞后的指标。",
    "finding_capacity_incomplete": (
        "另有{k}项因部分单位尚无审核通过的数据、合计不全，暂不能判断进度：{names}。"
    ),
    "finding_suppressed": "有 {k} 个分组样本量不足 {m} 人，数值未予显示。",
    "sec_groups": "重点人群的科学素质",
    "sec_towns": "各镇街的科学素质",
    "sec_levels": "科学素质水平分布",
    "sec_dimensions": "各维度得分",
    "sec_breakdowns": "不同人口特征的科学素质",
    "sec_trend": "变化趋势",
    "sec_factors": "影响因素",
    "sec_capacity": "能力建设指标完成情况",
    "app_methods": "附录一　方法说明",
    "app_items": "附录二　题目分析",
    # the youth chapter and the school feedback sheet (reports/youth_pdf.py)
    "sec_youth": "青少年科学素质监测（中小学）",
    "y_intro": (
        "按照国家义务教育质量监测的做法，在学校里监测四年级和八年级学生的科学素质：以镇街为层，按年级"
        "学生数以规模成比例概率（PPS）抽取学校，在抽中学校随机抽取整班，班内学生全部参加，在课堂上用"
        "电脑或平板答题。本章的“青少年”指在校中小学生，与“重点人群”一章中18–35岁的“青少年”不同。"
    ),
    "y_sample": (
        "{grade}年级：抽中 {schools} 所学校 {classes} 个班，班级名单上 {seats} 人，{resp} 人答题"
        "（其中 {timeout} 人时间到时未交卷，已答部分计入），缺席 {absent} 人，不参加 {refused} 人；"
        "加权应答率 {rate}%。"
    ),
    "y_headline": "{grade}年级达到“{level}及以上”的学生比例",
    "y_headline_value": "{grade}年级 {rate}%（{ci}）",
    "y_levels_h": "各水平的学生比例",
    "y_levels_intro": (
        "各年级学生在四个水平上的比例（{level}%置信区间见表）。水平按统一量尺上的分数划分，"
        "各年级有各自的分数线（见本章方法说明）。"
    ),
    "y_towns_h": "各镇街",
    "y_towns_intro": (
        "各镇街达到“{level}及以上”的学生比例及{ci}%置信区间。每个镇街每个年级只抽了2–3所学校，"
        "区间自由度小于3的镇街无法给出可靠的区间，图中不画误差线（标“†”，仅供参考）。"
    ),
    "y_groups_h": "学校类型和性别",
    "y_factors_h": "影响因素",
    "y_factors_intro": (
        "学生的阅读、科学活动、家庭情况和参观科技场馆，以及学校和科学教师的情况，与量尺分数的关系"
        "（相关关系，不代表因果）。"
    ),
    "y_raw_h": "原始分（透明度）",
    "y_raw_intro": (
        "各年级在本年级试卷上的百分制原始分（未经等值；两个年级试卷不同，原始分不能直接比较）及"
        "各维度得分率。"
    ),
    "y_method_h": "方法说明",
    "y_method_scale": (
        "量尺：两个年级分别用二参数模型（多选题用等级反应模型）校准，通过两卷共有的{anchors}道锚题"
        "用Stocking-Lord方法把八年级连接到四年级量尺上；四年级试题平均难度定为500分，标准差单位为"
        "100分。八年级连接误差约 {link} 分，已计入八年级的标准误。"
    ),
    "y_method_drift": (
        "锚题漂移检查：{names} 共{n}道锚题连接后的位移较大，已标出；连接仍使用全部锚题，"
        "请结合题目内容复核。"
    ),
    "y_method_nodrift": "锚题漂移检查：没有锚题发生明显漂移。",
    "y_basis_rp": "按各年级试卷“平均题目”答对概率0.40、0.60、0.80的题目映射",
    "y_method_cuts": (
        "水平分数线（{basis}）：四年级 {cuts4}；八年级 {cuts8}。这是暂定分数线，"
        "正式发布前宜由专家组（书签法）确认。"
    ),
    "y_method_pv": (
        "估计：每名学生抽取{m}个合理值（条件化模型含性别、镇街、学校类型、背景题和学校平均得分率），"
        "每个合理值按抽样设计（学校为初级抽样单元、镇街为层）用泰勒线性化估计方差，再按鲁宾规则合并，"
        "自由度按Barnard-Rubin公式；比例的置信区间为logit区间（与成人部分相同，不会超出0–100%），"
        "自由度小于3时不给出区间。缺席学生的权重在本班内调整。"
    ),
    "y_method_privacy": (
        "隐私保护：不收集学生姓名、学号和电话，学生只以班级和座位号识别；少于{m}名学生的分组不报告；"
        "本报告不列出任何一所学校的结果，每所学校的结果只以反馈单的形式发给本校校长。"
    ),
    "y_reliability": "测验信度（EAP）：{values}。",
    "y_unreliable": "†：学校太少或变异系数大，仅供参考",
    "y_unreliable_note": (
        "标“†”的估计仅供参考：答题学生少于{n}人、置信区间自由度小于{df}（约为背后学校数减一）"
        "或“中等及以上”比例的变异系数大于{cv}%。各镇街每个年级只抽了2–3所学校，多数镇街的估计属于此类。"
    ),
    "y_col_level": "水平",
    "y_source": "资料来源：{year}年义乌市青少年科学素质监测（四年级、八年级）",
    "y_source_marks": (
        "。注：† 估计仅供参考（答题学生少于30人、学校太少或变异系数过大，见本章方法说明）；"
        "“—”表示不足10人，不显示；区间栏的“—”表示学校太少（自由度小于3），无法给出可靠的区间。"
    ),
    "y_factor_table": "{grade}年级：{source}中的因素与学生成绩",
    "y_tab_headline": "各年级主要结果",
    "y_fig_levels": "各年级学生在各水平的比例（%）",
    "y_tab_levels": "各年级学生在各水平的比例及置信区间",
    "y_fig_towns": "{grade}年级各镇街达到“{level}及以上”的学生比例（%）",
    "y_tab_groups": "不同学校类型和性别学生的结果",
    "y_tab_raw": "各年级原始分与各维度得分率（%）",
    "y_col_share": "比例(%)",
    "y_col_atleast": "{level}及以上(%)",
    "y_col_mean": "平均分",
    "y_col_category": "类别",
    "y_col_grade": "年级",
    "y_col_raw": "原始分（百分制）",
    "y_col_alpha": "α系数",
    "y_grade": "{grade}年级",
    "y_all": "全体",
    "y_suppressed": "不足{m}人，不显示",
    "y_source_student": "学生问卷",
    "y_source_principal": "校长问卷",
    "y_source_teacher": "科学教师问卷",
    "y_type_public": "公办",
    "y_type_private": "民办",
    "y_sex_1": "男生",
    "y_sex_2": "女生",
    "y_scale_points": "{value}分",
    "sheet_title": "青少年科学素质监测 · 学校反馈单",
    "sheet_confidential": "仅供本校校长使用，请勿公开，也不用于学校排名。",
    "sheet_school": "学校：{name}（{town}，{type}）",
    "sheet_grade_h": "{grade}年级",
    "sheet_participation": "本校抽中 {classes} 个班，名单上 {seats} 人，{n} 人答题。",
    "sheet_suppressed": "本校答题学生少于{m}人，为保护学生隐私，不报告本校结果。",
    "sheet_mean": "本校平均量尺分 {mean}（{ci}），所在镇街 {town}，全市 {city}。",
    "sheet_atleast": "达到“{level}及以上”的学生比例：本校 {school}%（{ci}），全市 {city}%。",
    "sheet_levels": "各水平的学生比例：本校与全市",
    "sheet_school_row": "本校",
    "sheet_city_row": "全市",
    "sheet_dims": "各维度得分率（原始分）",
    "sheet_col_dim": "维度",
    "sheet_col_school": "本校(%)",
    "sheet_col_city": "全市(%)",
    "sheet_note": (
        "说明：本校的区间只反映本校抽中班级的学生和测量误差，学生人数少时区间较宽。量尺分和水平与"
        "全市报告使用同一量尺。结果用于改进本校科学教育，不评价任何一名学生或教师。"
    ),
    "sheet_footer": "{school} · 仅供本校校长使用 · 第 {page} 页",
    "groups_intro": (
        "下图为五类重点人群具备科学素质的比例及其{level}%置信区间（误差线）。各类人群的界定：{d"
        "efs}。重点人群可能相互重叠，每类人群单独估计。"
    ),
    "towns_intro": (
        "各镇（街道）具备科学素质的比例及其{level}%置信区间如下。镇街样本量较小、区间较宽，比较"
        "时请注意；标“†”的估计不可靠，仅供参考，第（二）节给出更稳定的模型估计。"
    ),
    "levels_intro": (
        "按总分将受访者分为{n}个水平（{bands}）。具备科学素质的比例是总分{cut}分及以上者的比例，"
        "即“{name}”及更高水平之和；图表中“{name}”一档只是其中{band}的部分（分数段见表中“说明”）。"
    ),
    "level_band_top": "{low}分及以上",
    "level_band": "{low}分至不足{high}分",
    "level_band_bottom": "不足{high}分",
    "dimensions_intro": (
        "各维度平均得分占该维度满分的百分比（知识满分40分，方法、精神、应用各20分）。"
    ),
    "breakdowns_intro": "按城乡、年龄、性别和文化程度分组的具备科学素质比例。",
    "trend_intro": (
        "历次调查的具备科学素质比例（误差线为{level}%置信区间），以及全国和浙江省公布的比例。"
    ),
    "factors_intro": (
        "获取科技信息的渠道和参加科普活动的情况，以及不同选择人群具备科学素质的比例。这里是相关"
        "关系，不代表因果：例如去过科技馆的人科学素质较高，可能部分因为他们文化程度较高。"
    ),
    "capacity_intro": (
        "能力建设指标按{date}各责任单位报送的数据评估。应完成进度按计划期内线性推进计算（图中黑"
        "色竖线）；完成量低于应完成进度的{tol}%视为进度滞后，到期（应完成100%）仍未达到目标的"
        "也视为进度滞后；未报送的指标显示为“未报送”，不计为0。部分单位本期没有审核通过的数据的"
        "指标，合计不完整，完成值标“*”（表注列出所缺的单位）；这样的合计未达到应完成进度时记为“数据不全”，"
        "不判为进度滞后。"
    ),
    "capacity_none": "未提供能力建设指标数据。",
    "trend_none": "只有本轮调查的数据。",
    "factors_none": "分析表中没有影响因素题目的回答。",
    "col_group": "分组",
    "col_town": "镇街",
    "col_n": "样本量",
    "col_rate": "比例(%)",
    "col_mean": "得分率(%)",
    "col_ci": "{level}%置信区间",
    "col_cv": "变异系数(%)",
    "col_deff": "设计效应",
    "col_flags": "说明",
    "col_level": "水平",
    "col_share": "占比(%)",
    "col_direct": "直接估计(%)",
    "col_direct_ci": "直接估计区间",
    "col_model": "模型估计(%)",
    "col_model_ci": "模型估计区间",
    "col_gamma": "直接估计权重γ",
    "col_wave": "调查轮次",
    "col_option": "选项",
    "col_lit_yes": "选择者具备比例(%)",
    "col_lit_no": "未选择者具备比例(%)",
    "col_adj_or": "调整后比值比OR（{level}%置信区间）",
    "or_reference": "1（参照）",
    "factors_adjusted": (
        "调整后比值比（OR）来自加权logistic回归，控制了{controls}：在这些条件相同的人中，"
        "OR大于1表示选择该项的人具备科学素质的几率更高，区间不含1表示差异显著。"
    ),
    "factors_adjusted_test": (
        "该题整体检验（Wald F）：F = {f}，自由度 {df1} 和 {df2}，{p}。分母自由度是设计自由度"
        "减去模型的系数个数再加1（与R的svyglm相同），所以小于附录一所列的设计自由度。"
    ),
    "factors_not_fitted": (
        "该题的logistic回归无法拟合（有的选项人数过少或全部具备/不具备），未给出OR。"
    ),
    "factors_one_option": "该题只有一个选项有人选择，无法比较。",
    "factors_separated": (
        "调整模型未纳入{levels}：这样的组里人人结果相同，无法估计其比值比（统计上称为分离）；"
        "表中其余比值比不受影响。"
    ),
    "factors_separated_none": "{control}为“{level}”的{n}人（无一具备科学素质）",
    "factors_separated_all": "{control}为“{level}”的{n}人（全部具备科学素质）",
    "factors_separated_small": "{control}为“{level}”的人（不足{m}人）",
    "factors_separated_shared": (
        "以下各题的调整模型都未纳入{levels}：这样的组里人人结果相同，无法估计其比值比"
        "（统计上称为分离）；表中其余比值比不受影响。"
    ),
    "list_sep": "、",
    "clause_sep": "；",
    # a value with what qualifies it in brackets: full-width in Chinese, ASCII in English
    "bracketed": "{value}（{inner}）",
    "control_age_band": "年龄",
    "control_education": "文化程度",
    "control_urban": "城乡",
    "median_title": "得分中位数",
    "median_intro": (
        "全体和各重点人群科学素质总分（满分100分）的加权中位数，置信区间为Woodruff区间。"
    ),
    "col_median": "中位数（分）",
    "col_indicator": "指标",
    "col_target": "目标值",
    "col_deadline": "期限",
    "col_responsible": "责任单位",
    "col_value": "完成值",
    "col_progress": "完成率(%)",
    "col_expected": "应完成(%)",
    "col_step": "步骤",
    "col_item": "项目",
    "col_count": "数量",
    "col_rate_name": "指标",
    "overall": "全体",
    "flag_small_n": "样本量<{min_n}",
    "flag_high_cv": "CV>{cv}%",
    "flag_no_df": "自由度不足",
    "flag_empty": "无样本",
    "flag_boundary": "估计值为0或100%",
    "suppressed": "样本不足{m}人，不显示",
    "unreliable_mark": "†",
    "legend_unreliable": "斜线：估计不可靠（†）",
    "legend_ci": "误差线：{level}%置信区间",
    "status_achieved": "已完成",
    "status_on_track": "按计划推进",
    "status_off_track": "进度滞后",
    "status_incomplete": "数据不全",
    "status_no_data": "无数据（未报送）",
    "legend_progress": "完成率",
    "legend_off_track": "进度滞后",
    "legend_expected": "应完成进度",
    "age_band": "{band}岁",
    "bd_urban": "城乡",
    "bd_age_band": "年龄",
    "bd_sex": "性别",
    "bd_education": "文化程度",
    "sae_head": "小区域估计",
    "sae_intro": (
        "镇街样本量小，直接估计不够稳定。下表并列直接估计和小区域模型估计（反正弦变换的Fay–Herr"
        "iot模型，{cov}；合并设计效应{deff}；均方误差用{boot}次参数自助法估计；已按人口加权校准"
        "到全市直接估计）。模型估计借用其他镇街的信息，更稳定，但依赖模型假设；γ为直接估计在变"
        "换尺度上所占权重，样本越少γ越小。正式公布以直接估计为准，模型估计供参考。"
    ),
    "sae_cov_none": "只含截距",
    "covariate_urban_share": "城镇人口比例",
    "sae_cov": "协变量：{names}",
    "sae_none": "未拟合小区域模型（{why}）。",
    "trend_yiwu": "本市（调查估计）",
    "trend_national": "全国（公布）",
    "trend_zhejiang": "浙江省（公布）",
    "m_population": "调查对象与评价标准",
    "m_population_text": "{population}。本轮调查{wave}，调查年份{year}年。",
    "m_design": "抽样设计",
    "m_design_text": (
        "采用分层多阶段抽样：以{strata}个镇（街道）为层，层内按人口规模成比例概率（PPS）抽取村"
        "（社区），共{psu}个；村（社区）内等距抽取住户，住户内用Kish表随机抽取1名18–69岁居民。"
        "样本量{n}人，设计自由度{df}。"
    ),
    "m_design_unweighted": (
        "本轮数据没有抽样权数，估计为未加权估计（每人权数相同），只能代表参加调查的人。"
    ),
    "m_fieldwork": "实地调查与应答率",
    "m_fieldwork_none": "未提供实地调查结果（各样本户的最终结果代码），无法计算应答率。",
    "m_fieldwork_text": (
        "实地调查时间为{period}。共抽取{sampled}个样本户，完成访问{complete}份。按美国舆论研究"
        "协会（AAPOR）2023年标准定义，应答率RR1为{rr1}%、RR3为{rr3}%（未知资格样本中的合格比例e"
        " = {e}），合作率COOP1为{coop}%。"
    ),
    "rate_rr1": "应答率 RR1",
    "rate_rr2": "应答率 RR2",
    "rate_rr3": "应答率 RR3",
    "rate_rr4": "应答率 RR4",
    "rate_coop1": "合作率 COOP1",
    "rate_ref1": "拒访率 REF1",
    "rate_con1": "接触率 CON1",
    "m_weighting": "加权",
    "m_weighting_text": "基础权数为各阶段入样概率乘积的倒数，随后依次进行无回答调整、校准和截尾。",
    "m_step_nonresponse": "无回答调整（按加权类）",
    "m_step_rake": "多变量迭代比例加权（raking）",
    "m_step_calibrate": "广义回归校准",
    "m_step_poststratify": "事后分层",
    "m_step_trim": "权数截尾与重新校准",
    "m_diag_iter": "迭代次数",
    "m_diag_err": "最大边际误差",
    "m_diag_deff": "Kish设计效应（前→后）",
    "m_diag_ess": "有效样本量（前→后）",
    "m_diag_range": "权数范围（最大/最小）",
    "m_diag_sum": "权数总和",
    "m_variance": "方差估计与数据显示规则",
    "m_variance_taylor": (
        "方差采用泰勒线性化方法，按层和初级抽样单元计算，并考虑校准的影响（与R语言survey程序包"
        "一致）；比例的{level}%置信区间用logit变换法，自由度为初级抽样单元数减层数（{df}）。"
    ),
    "m_variance_rep": "采用重复权数法（{method}）估计方差；比例的置信区间用logit变换法。",
    "m_lonely": "单个初级抽样单元的层按“{policy}”方法处理。",
    "m_lonely_adjusted": (
        "注意：作业文件要求遇到只有一个初级抽样单元的层时停止（fail），为生成报告改用保守的“adj"
        "ust”方法（{why}）。"
    ),
    "m_deff": "6. 设计效应",
    "m_deff_text": (
        "全市具备科学素质比例的设计效应为{deff}（其方差与同样本量简单随机抽样方差之比）。最终权"
        "数的Kish设计效应为{kish}，即因权数不等，{n}人样本的精度相当于{ess}人的简单随机样本（有"
        "效样本量）；本报告中“样本量”一律指实际受访人数。"
    ),
    "m_rules": "7. 数据显示规则",
    "m_rules_text": (
        "样本量少于{m}人的分组不显示数值（以“—”表示）；样本量少于{min_n}人或变异系数（CV = 标准"
        "误/估计值）大于{cv}%的估计标注“†”（不可靠，仅供参考），图中以斜线表示，且不参与结论中"
        "的排序和比较。置信水平{level}%。"
    ),
    "m_left_out": "另有{k}份完成问卷没有抽样设计权数，未计入估计（{detail}）。",
    "m_left_open_link": "公开链接{n}份，非概率样本",
    "m_left_no_design": "无抽样设计的邀请链接{n}份",
    "m_left_incomplete_design": "入样概率不全的样本户{n}份",
    "m_rejected": (
        "经复核判为无效（复核结论为“拒绝”）并剔除的问卷{k}份，不参与估计，在无回答调整中按未应答"
        "处理。"
    ),
    "m_fingerprint": "数据与版本",
    "m_fingerprint_text": (
        "问卷哈希 {q}；数据快照 {rows} 行，哈希 {data}；作业文件哈希 {job}；kesu 版本 {version}"
        "；报告日期 {date}。"
    ),
    "m_font": (
        "字体：正文为宋体类的{body}，标题为黑体类的{heading}，均已嵌入PDF，在任何设备上显示相同。"
    ),
    "m_font_fallback": (
        "字体：未找到可嵌入的TrueType中文字体，使用了reportlab自带的CID字体{font}；该字体未嵌入"
        "PDF，只有安装了相应中文字体的阅读器才能正确显示中文。"
    ),
    "items_title": "题目分析（经典测验理论，按最终权数加权）",
    "items_title_unweighted": "题目分析（经典测验理论，未加权）",
    "items_none": "分析表中没有逐题得分，无法进行题目分析。",
    "figure_label": "图{n}　",
    "table_label": "表{n}　",
    "table_continued": "续表{n}　",
    "source_survey": "资料来源：{year}年义乌市公民科学素质调查",
    "source_synthetic": "，模拟数据",
    "source_trend": "资料来源：历次义乌市公民科学素质调查（各轮的估计文件）",
    "source_marks": (
        "。注：† 估计不可靠（样本量不足或变异系数过大，见附录一），仅供参考；“—”表示样本不足，"
        "不显示。"
    ),
    "cover_issuer": "发布单位",
    "cover_fieldwork_by": "调查实施",
    "cover_period": "调查时间",
    "cover_population": "调查对象",
    "cover_sample": "样本",
    "cover_sample_text": "样本量{n}人，覆盖{strata}个镇（街道）的{psu}个村（社区）",
    "cover_wave": "调查轮次",
    "cover_date": "报告日期",
    "cover_data": "数据性质",
    "cover_unknown": "（未注明）",
    "period": "{start}至{end}",
    "population_ages": "{low}至{high}周岁的常住居民",
    "rate_ci": "{rate}%（{level}%置信区间{low}%–{high}%）",
    "name_rate": "{name}（{rate}%）",
    "name_unit": "{name}（{unit}）",
    "group_ages": "{label}（{low}–{high}岁）",
    "headline_unreliable": "† 该估计不可靠，仅供参考。",
    "verdicts": "与目标和参照水平的对照",
    "verdicts_intro": (
        "下表将全市具备科学素质的比例与2025年目标、全国和浙江省公布的比例逐一对照。“差值”为本市"
        "估计减去参照值（百分点）；检验为本市估计与参照值之差的双侧检验（logit变换，与{level}%"
        "置信区间一致），参照值视为已知常数。"
    ),
    "verdicts_none": "全市估计不可用，无法与目标对照。",
    "tab_verdicts": "具备科学素质的比例与目标和参照水平的对照",
    "fig_verdicts": "本市具备科学素质的比例与目标和参照水平",
    "legend_reference": "空心条：目标或公布值",
    "col_reference": "参照",
    "col_reference_rate": "参照值(%)",
    "col_estimate": "本市估计(%)",
    "col_difference": "差值（百分点）",
    "col_p": "p值",
    "col_verdict": "结论",
    "verdict_above": "显著高于{label}（{rate}%，{year}年；差值{diff}个百分点，{p}）",
    "verdict_below": "显著低于{label}（{rate}%，{year}年；差值{diff}个百分点，{p}）",
    "verdict_same": "与{label}（{rate}%，{year}年）无显著差异（差值{diff}个百分点，{p}）",
    "verdict_short_above": "显著高于参照值",
    "verdict_short_below": "显著低于参照值",
    "verdict_short_same": "无显著差异",
    "finding_none": "全市样本不足，未能给出结论。",
    "finding_overall": "全市具备科学素质的公民比例为{rate}",
    "finding_change_sig": (
        "，与{year}年相比变化{diff}个百分点（{level}%置信区间{low}至{high}，{p}），变化具有统计"
        "学显著性。"
    ),
    "finding_change_nonsig": (
        "，与{year}年相比变化{diff}个百分点（{level}%置信区间{low}至{high}，{p}），变化不具有统"
        "计学显著性。"
    ),
    "finding_verdicts": "对照目标和参照水平：{parts}。",
    "finding_left_out": "另有{k}类人群的估计不可靠，未参与比较。",
    "finding_urban_sig": (
        "{urban}居民的比例为{urban_rate}，{rural}居民为{rural_rate}，相差{diff}个百分点（{level"
        "}%置信区间{ci}，{p}），差异显著。"
    ),
    "finding_urban_nonsig": (
        "{urban}居民的比例为{urban_rate}，{rural}居民为{rural_rate}，差异不显著（相差{diff}个百"
        "分点，{p}）。"
    ),
    "finding_towns_left_out": (
        "另有{k}个镇街的直接估计不可靠（样本少，或比例低而变异系数大于{cv}%），未参与比较"
        "（其模型估计见第三章）。"
    ),
    "finding_capacity_gaps": "另有{missing}项本期未报送数据、{stale}项数据已超过半年未更新。",
    "recommendations": "建议",
    "recommendations_none": "本期数据未触发任何建议规则。",
    "recommendations_note": (
        "以上建议由报告程序按固定规则从调查结果生成（规则见附录一），供决策参考。"
    ),
    "rec_groups": "聚焦比例明显低于全市水平的重点人群：{names}。建议：{actions}。",
    "action_youth": "结合学校和共青团组织加强青少年科学教育",
    "action_farmer": "把科学素质内容纳入农村实用人才和高素质农民培训",
    "action_worker": "在职业技能培训和企业安全生产培训中加入科学素质内容",
    "action_elderly": "扩大老年人“智慧助老”培训，依托社区和老年大学开展健康、防诈骗等实用科普",
    "action_cadre": "将科学素质纳入干部教育培训",
    "action_default": "针对这些人群设计专门的科普活动",
    "rec_rural": (
        "城乡差距明显（城镇比农村高{diff}个百分点）。建议向{towns}等乡镇倾斜科普资源，加强农村"
        "科普阵地和科普活动。"
    ),
    "rec_rural_all": "农村地区",
    "rec_capacity": "加快进度滞后的能力建设指标：{items}。",
    "rec_capacity_item": "{name}（{unit}；完成{share}%，应完成{expected}%）",
    "rec_reporting": "以下指标本期未报送或数据陈旧，请责任单位按期报送：{names}。",
    "rec_partial": "以下指标有单位尚无审核通过的数据，请督促报送或尽快审核：{names}。",
    "rec_target_above": (
        "全市已显著高于{year}年目标（{rate}%），建议巩固成果，并对照2035年25%的国家目标提出更高"
        "要求。"
    ),
    "rec_target_same": (
        "全市与{year}年目标（{rate}%）无显著差异，尚不能确认稳定达标，建议保持投入，确保在下一"
        "轮调查中明显高于目标。"
    ),
    "rec_target_below": "全市显著低于{year}年目标（{rate}%），建议加大投入，重点补齐上述短板。",
    "rec_sample": (
        "{k}个镇街的直接估计变异系数超过{cv}%，建议下一轮调查适当增加这些镇街的样本量，或继续采"
        "用小区域模型估计。"
    ),
    "sec_overall": "总体科学素质水平",
    "overall_intro": (
        "本次调查全市具备科学素质的公民比例为{rate}%（{level}%置信区间{low}%–{high}%，样本量{n}"
        "人）。下文依次介绍科学素质水平分布、各维度得分和历次调查的变化。"
    ),
    "fig_levels": "全体和各重点人群的科学素质水平分布（%）",
    "tab_levels": "科学素质水平分布",
    "tab_dimensions": "各维度得分率（%，括号内为95%置信区间）",
    "fig_trend": "历次调查具备科学素质的比例",
    "tab_trend": "历次调查具备科学素质的比例",
    "fig_groups": "各重点人群具备科学素质的比例",
    "tab_groups": "各重点人群具备科学素质的比例",
    "sec_towns_direct": "直接估计",
    "fig_map": "各镇街具备科学素质的比例（示意图，不代表实际边界和位置）",
    "fig_towns": "各镇街具备科学素质的比例及其置信区间",
    "tab_towns": "各镇街具备科学素质的比例（直接估计）",
    "tab_sae": "各镇街直接估计与模型估计",
    "col_model_cv": "模型变异系数(%)",
    "urban_gap": (
        "城镇与农村的差值为{diff}个百分点（{level}%置信区间{ci}，{p}；差值及其标准误按同一抽样"
        "设计计算）。"
    ),
    "tab_breakdown": "按{name}分组的具备科学素质比例",
    "fig_factor": "{item}：各选项的选择比例",
    "tab_factor": "{item}：选择比例及选择者的科学素质",
    "capacity_as_of_note": (
        "注意：能力建设指标统计到{date}（各单位报送截至该日的数字），早于报告日期（{report}）；"
        "该日以后发生的数字未计入。"
    ),
    "fig_capacity": "能力建设指标完成进度（截至{date}）",
    "tab_capacity": "能力建设指标完成情况",
    "capacity_source": (
        "资料来源：各责任单位报送数据。注：“未报送”表示评估日前无报送数据（不计为0）；“（数据已"
        "过期）”表示最近一次报送早于评估日半年以上。"
    ),
    "col_last_report": "数据截至",
    "not_reported": "未报送",
    "stale_mark": "（数据已过期）",
    "partial_mark": "*",
    "capacity_partial_note": (
        "*部分单位本期没有审核通过的数据（未报送或待审核），合计不完整：{items}。累计和存量指"
        "标计入这些单位上次审核通过的数字，年度指标不计入。"
    ),
    "capacity_partial_item": "{name}（缺{units}）",
    "m_criterion": (
        "科学素质按国家统一的测评标准计分：满分{total}分，其中{dims}。总分达到{cut}分及以上者视"
        "为具备科学素质（{levels}）。"
    ),
    "m_groups": "重点人群的界定",
    "level_min": "{label}≥{min}分",
    "m_groups_overlap": (
        "重点人群可能相互重叠（例如青少年也可能是产业工人），每类人群单独估计；各类人群之和不等"
        "于全体。"
    ),
    "group_def_youth": "调查时年龄18至35周岁",
    "group_def_farmer": "职业为农、林、牧、渔业生产人员",
    "group_def_worker": "职业为生产制造及有关人员",
    "group_def_elderly": "调查时年龄60周岁及以上（本调查对象上限为69周岁，故实际为60至69周岁）",
    "group_def_cadre": "在党政机关工作，或在党政机关、事业单位担任负责人",
    "tab_aapor": "样本户最终结果和应答率",
    "aapor_source": "资料来源：实地调查记录（每个样本户的最终结果代码）。",
    "m_nonresponse_text": (
        "无回答调整：按镇街分为{classes}个加权类，类内把未应答户的权数转给应答户（未知资格户按"
        "已知资格户中的合格比例处理）；各类加权应答率在{low}%至{high}%之间，最大调整系数为{fact"
        "or}。"
    ),
    "m_calibration_text": (
        "校准：采用{method}，使加权后的{variables}分布与人口总数一致；各项总体数及其来源见下表。"
    ),
    "m_trim_text": (
        "截尾：把超过上限{cap}的权数截到上限（共{k}个），截去部分平均分给其余权数，权数总和不变。"
    ),
    "m_trim_recalibrated": (
        "截尾会改变校准变量的加权分布（仅截尾时最大相对误差为{before}%），因此截尾与重新校准交"
        "替进行了{cycles}轮，直到权数不超过上限且各校准变量的分布与人口总数一致。"
    ),
    "m_margins_text": "下表用最终权数重新计算各校准变量的加权总数：最大相对误差为{worst}%。",
    "tab_margins": "校准变量：人口总数、最终权数的加权总数及来源",
    "margins_source": ("资料来源：{sources}。注：加权总数和相对误差用每位受访者的最终权数计算。"),
    "source_of": "{name}——{source}",
    "col_calvar": "校准变量",
    "col_category": "类别",
    "col_pop_total": "人口总数",
    "col_weighted_total": "加权总数",
    "col_rel_error": "相对误差(%)",
    "col_source": "人口总数来源",
    "no_source": "作业文件未注明来源",
    "calvar_sex_age": "性别×年龄组",
    "calvar_urban": "城乡",
    "calvar_sex": "性别",
    "calvar_town": "镇街",
    "tab_weighting": "各加权步骤后的权数",
    "weighting_source": (
        "注：无回答调整一行为样本户权数；Kish设计效应 = 样本量×权数平方和/权数和的平方，有效样"
        "本量 = 样本量/Kish设计效应。"
    ),
    "m_lonely_fail": "每层至少有两个初级抽样单元。",
    "m_lonely_adjust": "只有一个初级抽样单元的层，其方差以全体均值为中心计算（保守处理）。",
    "m_lonely_certainty": "只有一个初级抽样单元的层视为必然入样层，不贡献第一阶段方差。",
    "m_lonely_average": "只有一个初级抽样单元的层，其方差取其他层的平均值。",
    "m_sae": "小区域估计",
    "m_sae_text": (
        "镇街样本量较小，比例接近0时直接估计的方差被低估，会使样本最少、最不稳定的镇街反而最依"
        "赖自身数据。为此采用反正弦平方根变换的Fay–Herriot模型：在变换尺度上每个镇街的抽样方差"
        "只取决于其有效样本量（1/(4×有效样本量)，有效样本量 = 样本量/各镇街合并设计效应），用约"
        "束最大似然（REML）估计模型方差，模型估计经偏差校正后变换回比例，其均方误差用参数自助法"
        "估计，区间在变换尺度上构造后变换回比例，最后按比例调整使各镇街按人口加权的平均值等于全"
        "市直接估计。在与本次调查规模相同、真值已知的模拟中，该模型的均方误差比直接方差的线性模"
        "型低约10%，95%区间的实际覆盖率为95%（线性模型为90%）。"
    ),
    "m_sae_none": "未拟合小区域模型。",
    "m_quality": "数据质量说明",
    "m_speed_rule": (
        "完成访问的中位时长为{median}分钟，用时少于中位数30%（{speed}分钟）的问卷标记为“过快”。"
    ),
    "m_speeders": "分析数据中有{k}份问卷被标记为过快；标记本身不剔除问卷，由统计人员复核后决定。",
    "m_dropped": "按作业文件的剔除规则（exclude）明确排除的记录{k}条（{rules}）。",
    "m_dropped_rule": "{column}为{values}的{rows}条",
    "m_dropped_blank": "空白",
    "sec_extra": "补充分组估计",
    "extra_intro": "以下为作业文件指定的补充分组（report.domains 与 estimates）的加权估计。",
    "extra_all": "全体",
    "extra_col_estimate": "估计值",
    "stat_proportion": "比例",
    "stat_mean": "均值",
    "stat_total": "总量",
    "stat_ratio": "比率",
    "extra_title": "{variable}的{statistic}（按{by}）",
    "extra_title_all": "{variable}的{statistic}",
    "extra_key": "作业文件中的条目：",
    "extra_score_total": "科学素质总分",
    "extra_score": "{dim}得分",
    "m_font_no_serif": (
        "字体：未找到衬线（宋体类）TrueType中文字体，正文使用{font}；请安装fonts-arphic-uming。"
    ),
    "items_no_options": "注：分析表中没有各题的原始作答，无法给出选项分布。",
    "items_weight_sum": "（权数合计{weight_sum}）",
    "items_summary": (
        "样本量{n}{weights}；题目{k}道；总分均值{mean}，标准差{sd}；Cronbach α ="
        " {alpha}；KR-20 = {kr20}；测量标准误SEM = {sem}。"
    ),
    "items_rules": (
        "标记规则：难度大于{too_easy}为过易，小于{too_hard}为过难；校正点二列相关小于{min_pbis}"
        "为区分度低；高分组和低分组各占{of}的{share}%。"
    ),
    # what the upper and lower groups are a share of (items_rules)
    "items_groups_of_weight": "权数",
    "items_groups_of_n": "样本",
    "items_col_item": "题目",
    "items_col_text": "题目内容",
    "items_col_dimension": "维度",
    "items_col_max_points": "满分",
    "items_col_difficulty": "难度",
    "items_col_pbis": "校正点二列相关",
    "items_col_discrimination": "区分度D（27%）",
    "items_col_alpha_if_deleted": "删题后α",
    "items_col_flags": "标记",
    "items_col_options": "选项分布（*为正确答案）",
    "items_no_answer": "未答",
    "item_flag_too_easy": "过易",
    "item_flag_too_hard": "过难",
    "item_flag_not_discriminating": "区分度低",
    # the mental-health survey report (reports/wellbeing_pdf.py)
    "mh_subtitle": "义乌市全民科学素质行动 · 公务员心理健康状况调查与评估",
    "mh_overall": "全体",
    "mh_summary_text": (
        "本轮调查共收到 {n} 份有效匿名答卷，来自 {units} 个单位。PHQ-9和GAD-7是筛查量表，"
        "得分只反映近两周症状的轻重，不能作为诊断。表中比例为加权估计（%），"
        "区间为{level}%置信区间。"
    ),
    "mh_unweighted": "本轮数据没有权数，以下为未加权估计。",
    "mh_population": (
        "按各单位在编人数加权后，答卷代表在编公务员约 {population} 人（答卷占 {rate}%）。"
    ),
    "mh_key_head": "主要结果",
    "mh_key_means": "平均分",
    "mh_mean_head": "平均分",
    "mh_key_shares": "各等级与第9题阳性的比例（%）",
    "mh_col_measure": "指标",
    "mh_col_estimate": "估计",
    "mh_col_ci": "{level}%置信区间",
    "mh_col_group": "分组",
    "mh_col_n": "样本量",
    "mh_mean": "{scale}：平均分",
    "mh_band": "{scale}：{band}",
    "mh_flag_row": "{flag}",
    "mh_cover_sample": "有效匿名答卷{n}份，来自{units}个单位",
    "mh_source": "资料来源：{survey}",
    "mh_marks": (
        "。注：† 估计不稳定，仅供参考；“—”为保护个人不予显示（规则见附录），或区间宽于30个百分点、"
        "不宜引用而不显示区间。"
    ),
    "mh_by": "按{domain}分",
    "mh_dom_unit_type": "单位类型",
    "mh_dom_rank_band": "职务职级",
    "mh_dom_age_band": "年龄段",
    "mh_dom_sex": "性别",
    "mh_mean_text": "平均分 {mean}（{level}%置信区间 {low}–{high}），{n} 人计分。",
    "mh_chart_title": "{scale}各等级的分布（%，加权；有隐藏单元格的分组不画）",
    "mh_chart_hidden": "含隐藏单元格，不画",
    "mh_table_title": "{scale}各等级的比例，{by}（%）",
    "mh_flag_table_title": "{flag}的比例，按分组（%）",
    "mh_below_n": "<{m}",
    "mh_table_note": (
        "注：“—”为不予显示：分组不足{m}人（样本量记为“<{m}”）、单元格只有1—{c1}人，"
        "或为防止由合计反推而一并隐藏（互补隐藏）。括号内为{level}%置信区间，"
        "宽度达到{w}个百分点的区间不宜引用，不予显示。"
        "带†的估计不稳定（分组不足{rn}人、变异系数大于{cv}%或自由度小于8），仅供参考。"
    ),
    "mh_flag_title": "PHQ-9第9题：轻生或自伤念头",
    "mh_flag_text": (
        "近两周有过“不如死掉或用某种方式伤害自己”的念头（第9题回答“好几天”及以上）的比例为"
        "{rate}%（{level}%置信区间 {low}–{high}）。答题者在提交该页后立即看到求助信息"
        "和心理援助热线；这一标记只用于统计，任何人不能据此识别个人。"
    ),
    "mh_flag_hidden": "为保护个人，全体的这一比例不予显示。",
    "mh_find_screen": (
        "{scale}得分在{cut}分及以上（筛查阳性）的比例为{rate}%（{level}%置信区间 {low}–{high}），"
        "平均分 {mean}。"
    ),
    "mh_find_screen_noci": (
        "{scale}得分在{cut}分及以上（筛查阳性）的比例为{rate}%（样本少，不给出区间），"
        "平均分 {mean}。"
    ),
    "mh_find_screen_hidden": "{scale}得分在{cut}分及以上（筛查阳性）的比例为保护个人不予显示。",
    "mh_find_differences": (
        "不同{domains}的组之间，差异超出抽样误差（p < 0.05，{k}个分组变量的检验经Holm校正）。"
    ),
    "mh_find_no_difference": (
        "各分组之间的差异都在抽样误差范围之内（{k}个分组变量的检验经Holm校正）。"
    ),
    "mh_find_flag": "{flag}的比例为{rate}%（{level}%置信区间 {low}–{high}）。",
    "mh_find_flag_noci": "{flag}的比例为{rate}%（样本少，不给出区间）。",
    "mh_find_flag_hidden": "{flag}的比例为保护个人不予显示。",
    "mh_find_care": (
        "选择这一回答的答题者在提交该页后立即看到了求助信息和心理援助热线；问卷匿名，"
        "这一结果不能、也不应用于查找个人。"
    ),
    "bd_test": (
        "各组差异检验（Rao-Scott校正F检验）：F = {f}，自由度 {df1} 和 {df2}，{p}。"
        "p小于0.05表示各组具备科学素质的比例之间的差异超出抽样误差所能解释的范围{left_out}。"
    ),
    "bd_test_left_out": "；样本不足、未列出比例的{groups}不参加检验",
    "bd_test_none": (
        "未做各组差异检验：列出比例的组不足两个，或各组的比例过于极端（如都为0或100%），无法检验。"
    ),
    "mh_screen_head": "筛查阳性（{cut}分及以上）",
    "mh_test": (
        "组间差异检验（Rao-Scott校正F检验）：{tests}。p小于0.05表示各组之间的差异超出抽样误差"
        "所能解释的范围；检验只包括各格数字全部公布的组{left_out}。"
    ),
    "mh_test_one": "{domain}F = {f}，自由度 {df1} 和 {df2}，{p}",
    "mh_test_left_out": "（未包括：{groups}）",
    "mh_test_none": "{domains}未做组间差异检验：各格数字全部公布的组不足两个。",
    "mh_test_same": (
        "{domains}未做组间差异检验：各组的回答过于集中（例如全在同一类别），无法检验。"
    ),
    "mh_screen_table_title": "{scale}得分{cut}分及以上（筛查阳性）的比例，按分组（%）",
    "mh_find_caution": (
        "以上是量表筛查结果：筛查阳性提示症状较重、值得关注，不等于临床诊断；"
        "各分组的结果见下文，分组之间是否有差异以各表下的组间差异检验为准。"
    ),
    "mh_methods": "附录  方法说明",
    "mh_m_instruments": "量表与计分",
    "mh_m_scale": (
        "{scale}：{items}个条目，{method}，{low}—{high}分；至少答{min_answered}题才计分{reverse}；"
        "分级：{bands}。来源：{reference}。"
    ),
    "mh_m_sum": "各条目得分相加",
    "mh_m_sum_prorated": "各条目得分相加（有缺答时按已答条目的平均分折算）",
    "mh_m_mean": "各条目得分的平均",
    "mh_m_reverse": "，{items}反向计分",
    "mh_m_anonymity": "匿名与数据保护",
    "mh_m_anonymity_text": (
        "调查通过各单位的匿名链接填答，每个单位的链接设有名额（在编人数），不发放对应个人的邀请。"
        "系统不保存IP地址、浏览器信息、设备标识，答题时间只保留日期；服务器日志中答题页面的"
        "访问记录不含IP地址和浏览器信息。本报告只公布分组汇总结果。"
    ),
    "mh_m_care": "关爱与求助信息",
    "mh_m_care_text": (
        "凡PHQ-9第9题回答“好几天”及以上者，在提交该页后立即（下一页和感谢页）看到一段求助说明"
        "和心理援助热线（默认为全国统一心理援助热线12356、卫生健康公益热线12320和急救电话120，"
        "各城市可在调查设置中换成本地热线）。调查是匿名的，组织者无法联系任何答题者。"
    ),
    "mh_m_weighting": "加权与方差估计",
    "mh_m_weighting_text": (
        "设计权数：{weights}列。{calibration}方差估计：泰勒线性化{design}。"
        "各比例的区间为logit区间。"
    ),
    "mh_m_calibration": "按{margins}的总体人数进行多变量迭代比例加权（raking）。",
    "mh_m_no_calibration": "未做校准。",
    "mh_m_design": "，以“{psu}”列（匿名调查中为单位）为初级抽样单位{strata}",
    "mh_m_strata": "、“{strata}”列为层",
    "mh_m_suppression": "小样本与隐藏规则",
    "mh_m_suppression_text": (
        "分组答卷不足{m}人的不显示任何比例（样本量记为“<{m}”）；单元格只有1—{c1}人的不显示，"
        "以免同组人员据此识别个人；为防止由行合计（100%）或全体合计反推被隐藏的单元格，"
        "再隐藏该行或该列中人数最少的单元格（互补隐藏）。全部表格共隐藏{total}个单元格："
        "不足{m}人{small_n}个，1—{c1}人{small_cell}个，互补{complementary}个。"
    ),
    "mh_m_limits": "局限",
    "mh_m_limits_text": (
        "筛查量表不等于诊断；自愿匿名填答可能有自选择偏差，加权只校正了单位及校准变量上的差异；"
        "工作压力部分为自编条目，未经信效度检验，只作描述。"
    ),
}

_EN: dict[str, str] = {
    "dash_title": "{wave} · live results",
    "dash_live": (
        "Live estimates from the questionnaires completed so far, computed exactly as in the PD"
        "F report; they change until the wave closes."
    ),
    "dash_pdf": "Download the PDF report ({language})",
    "dash_pdf_zh": "Chinese",
    "dash_pdf_en": "English",
    "dash_respondents": "Completed questionnaires: {n}",
    "dash_no_data": "This wave has no completed questionnaire yet, so there are no results.",
    "fingerprint_line": "questionnaire {q} · data {rows} rows {data} · job {job} · kesu {version}",
    "title": "Evaluation report: {survey}",
    "wave_line": "Wave {wave} ({year})",
    "subtitle": "Monitoring Yiwu's citizen science-literacy action plan",
    "synthetic": (
        "This report uses SIMULATED data (not a real survey), for demonstration and testing only."
    ),
    "synthetic_short": "simulated data",
    "generated": "Generated {date}",
    "footer": "Page {page} of {pages}",
    "toc": "Contents",
    "summary": "Summary",
    "headline": "Share of citizens with science literacy",
    "headline_value": "{rate}%",
    "headline_ci_level": "{level}% CI {low}%–{high}%; {n} respondents",
    "change": (
        "Change since {year} ({wave}): {diff} percentage points ({level}% CI {low} to {high}, {"
        "p}); {verdict}."
    ),
    "change_sig": "the change is statistically significant",
    "change_nonsig": "the change is not statistically significant",
    "no_previous": "No earlier wave to compare with.",
    "compare_head": "Compared with reference rates",
    "compare_above": "above {label} ({rate}%, {year})",
    "compare_below": "below {label} ({rate}%, {year})",
    "compare_same": "not significantly different from {label} ({rate}%, {year})",
    "ref_national": "China",
    "ref_zhejiang": "Zhejiang",
    "ref_target": "target",
    "ref_line": "{label} {rate}% ({year})",
    "findings": "Main findings",
    "finding_groups": (
        "Among the key groups, {high} have the highest rate, {high_rate}, and {low} the lowest,"
        " {low_rate}."
    ),
    "finding_towns": (
        "Of the {k} towns and streets with reliable estimates, {high} is highest, {high_rate}, "
        "and {low} lowest, {low_rate}."
    ),
    "finding_towns_differ": " The towns differ by more than sampling error (Rao-Scott test, {p}).",
    "finding_towns_same": " The towns' differences are within sampling error (Rao-Scott "
    "test, {p}): which is higher cannot be told.",
    "finding_close_pair": "{a} and {b}",
    "finding_pair_sep": "; and of ",
    "finding_order_uncertain": " The {level}% intervals of {pairs} overlap: which is higher "
    "is not certain.",
    "finding_capacity": "{k} of {n} capacity indicators are off track: {names}.",
    "finding_capacity_ok": "All {n} capacity indicators are on track or achieved.",
    "finding_capacity_no_off": "None of the {n} capacity indicators is found off track.",
    "finding_capacity_incomplete": (
        " {k} cannot be judged yet because some units have no accepted figure: {names}."
    ),
    "finding_suppressed": (
        "{k} domain(s) have fewer than {m} respondents; their figures are not shown."
    ),
    "sec_groups": "Key groups",
    "sec_towns": "Towns and streets",
    "sec_levels": "Literacy levels",
    "sec_dimensions": "Dimension scores",
    "sec_breakdowns": "Other breakdowns",
    "sec_trend": "Trends",
    "sec_factors": "Influencing factors",
    "sec_capacity": "Capacity indicators",
    "app_methods": "Appendix 1. Methodology",
    "app_items": "Appendix 2. Item analysis",
    # the youth chapter and the school feedback sheet (reports/youth_pdf.py)
    "sec_youth": "Youth science literacy in schools",
    "y_intro": (
        "Following the national compulsory-education quality monitoring, the science literacy "
        "of grade-4 and grade-8 students is measured in schools: towns and streets are strata, "
        "schools are drawn with probability proportional to the grade's enrolment, whole classes "
        "are drawn at random in each sampled school and every student of a class takes part, "
        "answering on a computer or tablet in class. 'Youth' in this chapter means school "
        "students, not the adults aged 18-35 of the key groups chapter."
    ),
    "y_sample": (
        "Grade {grade}: {schools} schools and {classes} classes sampled, {seats} students on the "
        "class lists, {resp} answered ({timeout} of them ran out of time; their answers count), "
        "{absent} absent, {refused} not taking part; weighted response rate {rate}%."
    ),
    "y_headline": "Grade-{grade} students at '{level}' or above",
    "y_headline_value": "Grade {grade}: {rate}% ({ci})",
    "y_levels_h": "Students at each level",
    "y_levels_intro": (
        "The share of students of each grade at the four levels ({level}% intervals in the table). "
        "Levels are cut scores on the common scale, set for each grade (see the method notes)."
    ),
    "y_towns_h": "Towns and streets",
    "y_towns_intro": (
        "Students at '{level}' or above by town or street, with {ci}% intervals. Only 2-3 "
        "schools per grade were drawn in each town: where an interval would have fewer than 3 "
        "degrees of freedom it cannot be given reliably and no whisker is drawn (marked †, "
        "indicative only)."
    ),
    "y_groups_h": "School type and sex",
    "y_factors_h": "Background factors",
    "y_factors_intro": (
        "How reading, science activities, home and visits to science venues, and the school's and "
        "the science teacher's situation, go with the scale score (associations, not causes)."
    ),
    "y_raw_h": "Raw scores (for transparency)",
    "y_raw_intro": (
        "Each grade's 100-point raw score on its own booklet (not equated: the booklets differ, so "
        "raw scores cannot be compared across grades) and the share of points in each dimension."
    ),
    "y_method_h": "Method notes",
    "y_method_scale": (
        "Scale: each grade was calibrated on its own (2PL; graded response model for the "
        "partial-credit items); grade 8 was linked to grade 4 through the {anchors} anchor items "
        "common to both booklets (Stocking-Lord). The grade-4 items' mean difficulty is 500 points "
        "and the unit 100 points. Grade 8's linking error is about {link} points and is part of "
        "grade 8's standard errors."
    ),
    "y_method_drift": (
        "Anchor drift: {names} ({n} anchors) moved more than the others after linking and are "
        "flagged; the link still uses every anchor: review their content."
    ),
    "y_method_nodrift": "Anchor drift: no anchor item drifted noticeably.",
    "y_basis_rp": "item mapping at response probabilities 0.40, 0.60, 0.80 on the average item",
    "y_method_cuts": (
        "Cut scores ({basis}): grade 4 {cuts4}; grade 8 {cuts8}. They are provisional; a "
        "standard-setting panel (bookmark method) should confirm them before official release."
    ),
    "y_method_pv": (
        "Estimation: {m} plausible values per student (conditioning on sex, town, school type, the "
        "background answers and the school's mean percent correct); each is analysed with the "
        "survey design (schools as PSUs within town strata, Taylor linearisation) and the results "
        "are combined by Rubin's rules, with Barnard-Rubin degrees of freedom; shares have logit "
        "intervals (as the adults' shares: they stay within 0-100%), and no interval is given "
        "below 3 degrees of freedom. Absent students' weights are adjusted within their class."
    ),
    "y_method_privacy": (
        "Privacy: no names, student numbers or phone numbers are collected; students are known "
        "only by class and seat number; groups of fewer than {m} students are not reported; this "
        "report shows no single school's results: each school's results go only to its principal, "
        "on a feedback sheet."
    ),
    "y_reliability": "Test reliability (EAP): {values}.",
    "y_unreliable": "†: too few schools or a large CV; indicative only",
    "y_unreliable_note": (
        "Estimates marked † are indicative only: fewer than {n} students, fewer than {df} degrees "
        "of freedom (about the number of schools behind them less one) or a coefficient of "
        "variation of the headline share above {cv}%. With 2-3 schools per town and grade, most "
        "towns' estimates are of this kind."
    ),
    "y_col_level": "Level",
    "y_source": "Source: Yiwu youth science-literacy monitoring {year} (grades 4 and 8)",
    "y_source_marks": (
        ". † for reference only (fewer than 30 students, too few schools or a large CV; see "
        "the method notes); '—' fewer than 10 students, not shown; '—' in an interval column: "
        "too few schools (fewer than 3 degrees of freedom) for a reliable interval."
    ),
    "y_factor_table": "Grade {grade}: {source} factors and students' results",
    "y_tab_headline": "Main results by grade",
    "y_fig_levels": "Students at each level by grade (%)",
    "y_tab_levels": "Students at each level by grade, with confidence intervals",
    "y_fig_towns": "Grade-{grade} students at '{level}' or above by town or street (%)",
    "y_tab_groups": "Results by school type and sex",
    "y_tab_raw": "Raw scores and share of points by dimension (%)",
    "y_col_share": "Share (%)",
    "y_col_atleast": "{level} or above (%)",
    "y_col_mean": "Mean score",
    "y_col_category": "Category",
    "y_col_grade": "Grade",
    "y_col_raw": "Raw score (of 100)",
    "y_col_alpha": "Alpha",
    "y_grade": "Grade {grade}",
    "y_all": "All",
    "y_suppressed": "fewer than {m}: not shown",
    "y_source_student": "student questionnaire",
    "y_source_principal": "principal questionnaire",
    "y_source_teacher": "science-teacher questionnaire",
    "y_type_public": "public",
    "y_type_private": "private",
    "y_sex_1": "boys",
    "y_sex_2": "girls",
    "y_scale_points": "{value} points",
    "sheet_title": "Youth science-literacy monitoring: school feedback sheet",
    "sheet_confidential": (
        "For this school's principal only. Do not publish; not for ranking schools."
    ),
    "sheet_school": "School: {name} ({town}, {type})",
    "sheet_grade_h": "Grade {grade}",
    "sheet_participation": (
        "{classes} class(es) of this school sampled, {seats} students on the lists, {n} answered."
    ),
    "sheet_suppressed": (
        "Fewer than {m} students of this school answered: to protect them, no result is reported."
    ),
    "sheet_mean": "Mean scale score {mean} ({ci}); the town {town}; the city {city}.",
    "sheet_atleast": (
        "Students at '{level}' or above: this school {school}% ({ci}), the city {city}%."
    ),
    "sheet_levels": "Students at each level: this school and the city",
    "sheet_school_row": "This school",
    "sheet_city_row": "City",
    "sheet_dims": "Share of points by dimension (raw scores)",
    "sheet_col_dim": "Dimension",
    "sheet_col_school": "School (%)",
    "sheet_col_city": "City (%)",
    "sheet_note": (
        "Note: the school's intervals reflect only its sampled classes and measurement error; with "
        "few students they are wide. Scores and levels are on the same scale as the city report. "
        "The results are for improving science teaching, not for judging any student or teacher."
    ),
    "sheet_footer": "{school} · for the principal only · page {page}",
    "groups_intro": (
        "Share with science literacy in the five key groups with {level}% confidence intervals."
        " Definitions: {defs}. Groups overlap; each is estimated on its own."
    ),
    "towns_intro": (
        "Share with science literacy in the towns and streets with {level}% confidence interval"
        "s. Town samples are small and intervals wide: compare with care; estimates marked † ar"
        "e unreliable; section (2) gives the model estimates."
    ),
    "levels_intro": (
        "Respondents by level of their total score ({n} levels: {bands}). The literate share is "
        "the share scoring {cut} and over: '{name}' and the levels above it; the band '{name}' "
        "in the chart and the table is only the part from {band} (the table's notes give each "
        "level's scores)."
    ),
    "level_band_top": "{low} and over",
    "level_band": "{low} to under {high}",
    "level_band_bottom": "under {high}",
    "dimensions_intro": (
        "Mean dimension score as a percentage of the dimension's maximum (knowledge 40 points; "
        "methods, spirit and application 20 each)."
    ),
    "breakdowns_intro": "Share with science literacy by residence, age, sex and education.",
    "trend_intro": (
        "The literate share in each wave ({level}% confidence intervals as whiskers), with the "
        "published rates of China and Zhejiang."
    ),
    "factors_intro": (
        "Where people get science information and whether they took part in science activities,"
        " with the literate share of those who did (an association, not a cause)."
    ),
    "capacity_intro": (
        "The capacity indicators are evaluated on the units' reports up to {date}. Expected pro"
        "gress is linear over the plan period (black tick); an indicator below {tol}% of its ex"
        "pected progress is off track, and so is one short of its target at its deadline "
        "(100% expected); indicators without a report show 'not reported', never 0. Where som"
        "e units have no accepted figure for the round, the total is incomplete and marked '*' "
        "(the note names the units); such a total short of the expected progress is 'incomplet"
        "e', not off track."
    ),
    "capacity_none": "No capacity-indicator data were provided.",
    "trend_none": "Only the current wave is available.",
    "factors_none": "The analysis table has no answers to the factor items.",
    "col_group": "Group",
    "col_town": "Town/street",
    "col_n": "n",
    "col_rate": "Rate (%)",
    "col_mean": "Score (% of max)",
    "col_ci": "{level}% CI",
    "col_cv": "CV (%)",
    "col_deff": "Deff",
    "col_flags": "Notes",
    "col_level": "Level",
    "col_share": "Share (%)",
    "col_direct": "Direct (%)",
    "col_direct_ci": "Direct CI",
    "col_model": "Model (%)",
    "col_model_ci": "Model CI",
    "col_gamma": "Weight on direct γ",
    "col_wave": "Wave",
    "col_option": "Option",
    "col_lit_yes": "Literate if chosen (%)",
    "col_lit_no": "Literate if not (%)",
    "col_adj_or": "Adjusted OR ({level}% CI)",
    "or_reference": "1 (reference)",
    "factors_adjusted": (
        "Adjusted odds ratios (OR) come from a survey-weighted logistic regression holding "
        "{controls} fixed: among people alike in these, an OR above 1 means higher odds of "
        "being literate for those choosing the option; an interval excluding 1 is significant."
    ),
    "factors_adjusted_test": "Test of the item as a whole (Wald F): F = {f} on {df1} and {df2} "
    "df, {p}. The denominator df is the design df less the model's coefficients plus one (as "
    "in R's svyglm), so it is below the design df of Appendix 1.",
    "factors_not_fitted": "The logistic regression could not be fitted for this item (an option "
    "with too few people, or all or none literate); no odds ratios are shown.",
    "factors_one_option": "Only one option of this item was chosen: nothing to compare.",
    "factors_separated": (
        "The adjusted model leaves out {levels}: everyone in such a group has the same "
        "outcome, so its odds ratio cannot be estimated (quasi-complete separation); the "
        "other odds ratios in the table are not affected."
    ),
    "factors_separated_none": "the {n} respondents with {control} “{level}” (none literate)",
    "factors_separated_all": "the {n} respondents with {control} “{level}” (all literate)",
    "factors_separated_small": "the respondents with {control} “{level}” (fewer than {m})",
    "factors_separated_shared": (
        "Every item's adjusted model below leaves out {levels}: everyone in such a group has "
        "the same outcome, so its odds ratio cannot be estimated (quasi-complete "
        "separation); the other odds ratios in the tables are not affected."
    ),
    "list_sep": ", ",
    "clause_sep": "; ",
    "bracketed": "{value} ({inner})",
    "control_age_band": "age",
    "control_education": "education",
    "control_urban": "urban/rural residence",
    "median_title": "Median scores",
    "median_intro": (
        "Weighted median total score (out of 100) of all adults and of each key group, with "
        "Woodruff confidence intervals."
    ),
    "col_median": "Median (points)",
    "col_indicator": "Indicator",
    "col_target": "Target",
    "col_deadline": "Deadline",
    "col_responsible": "Responsible",
    "col_value": "Achieved",
    "col_progress": "Progress (%)",
    "col_expected": "Expected (%)",
    "col_step": "Step",
    "col_item": "Item",
    "col_count": "Count",
    "col_rate_name": "Rate",
    "overall": "All adults",
    "flag_small_n": "n<{min_n}",
    "flag_high_cv": "CV>{cv}%",
    "flag_no_df": "no df",
    "flag_empty": "no respondents",
    "flag_boundary": "estimate 0 or 100%",
    "suppressed": "fewer than {m} respondents: not shown",
    "unreliable_mark": "†",
    "legend_unreliable": "hatched: unreliable estimate (†)",
    "legend_ci": "whiskers: {level}% confidence interval",
    "status_achieved": "achieved",
    "status_on_track": "on track",
    "status_off_track": "off track",
    "status_incomplete": "incomplete",
    "status_no_data": "no data (not reported)",
    "legend_progress": "progress",
    "legend_off_track": "off track",
    "legend_expected": "expected progress",
    "age_band": "aged {band}",
    "bd_urban": "Residence",
    "bd_age_band": "Age",
    "bd_sex": "Sex",
    "bd_education": "Education",
    "sae_head": "Small-area estimates",
    "sae_intro": (
        "Town samples are small, so direct estimates are unstable. The table shows the direct e"
        "stimates beside small-area model estimates (Fay–Herriot on the arcsine scale, {cov}; p"
        "ooled design effect {deff}; MSE by a parametric bootstrap of {boot} replicates; benchm"
        "arked to the city's direct estimate). Model estimates borrow strength from other towns"
        " and rest on the model; γ is the weight on the direct estimate on the transformed scal"
        "e (smaller for smaller samples). Official figures are the direct estimates."
    ),
    "sae_cov_none": "intercept only",
    "covariate_urban_share": "urban share of the population",
    "sae_cov": "covariates: {names}",
    "sae_none": "No small-area model was fitted ({why}).",
    "trend_yiwu": "Yiwu (survey estimate)",
    "trend_national": "China (published)",
    "trend_zhejiang": "Zhejiang (published)",
    "m_population": "Population and criterion",
    "m_population_text": "{population}. Wave {wave}, fieldwork in {year}.",
    "m_design": "Sample design",
    "m_design_text": (
        "Stratified multistage sample: {strata} towns/streets as strata; {psu} villages/communi"
        "ties selected with probability proportional to size; households selected systematicall"
        "y; one resident aged 18-69 per household by Kish grid. {n} respondents; design degrees"
        " of freedom {df}."
    ),
    "m_design_unweighted": (
        "The data have no sampling weights: estimates are unweighted (equal weights) and descri"
        "be only the people who took part."
    ),
    "m_fieldwork": "Fieldwork and response rates",
    "m_fieldwork_none": (
        "No fieldwork outcomes (final disposition codes) were provided, so no response rates ca"
        "n be computed."
    ),
    "m_fieldwork_text": (
        "Fieldwork ran from {period}. {sampled} households were sampled and {complete} intervie"
        "ws completed. By the AAPOR Standard Definitions (2023) RR1 is {rr1}% and RR3 {rr3}% (e"
        "ligible share of unknown cases e = {e}); the cooperation rate COOP1 is {coop}%."
    ),
    "rate_rr1": "Response rate RR1",
    "rate_rr2": "Response rate RR2",
    "rate_rr3": "Response rate RR3",
    "rate_rr4": "Response rate RR4",
    "rate_coop1": "Cooperation rate COOP1",
    "rate_ref1": "Refusal rate REF1",
    "rate_con1": "Contact rate CON1",
    "m_weighting": "Weighting",
    "m_weighting_text": (
        "Base weights are the inverse products of the selection probabilities; nonresponse adju"
        "stment, calibration and trimming follow."
    ),
    "m_step_nonresponse": "Nonresponse adjustment (weighting classes)",
    "m_step_rake": "Raking to population margins",
    "m_step_calibrate": "Calibration (generalised regression)",
    "m_step_poststratify": "Post-stratification",
    "m_step_trim": "Trimming and re-calibration",
    "m_diag_iter": "Iterations",
    "m_diag_err": "Largest margin error",
    "m_diag_deff": "Kish deff (before → after)",
    "m_diag_ess": "Effective n (before → after)",
    "m_diag_range": "Weight range (max/min)",
    "m_diag_sum": "Sum of weights",
    "m_variance": "Variance estimation and display rules",
    "m_variance_taylor": (
        "Variances by Taylor linearisation over strata and primary sampling units, accounting f"
        "or calibration (matching R's survey package); {level}% intervals for proportions by th"
        "e logit method with {df} degrees of freedom (PSUs minus strata)."
    ),
    "m_variance_rep": (
        "Variances from replicate weights ({method}); intervals for proportions by the logit me"
        "thod."
    ),
    "m_lonely": "Strata with a single PSU: '{policy}' method.",
    "m_lonely_adjusted": (
        "Note: the job asks to stop on strata with a single PSU (fail); for this report the con"
        "servative 'adjust' method was used instead ({why})."
    ),
    "m_deff": "6. Design effects",
    "m_deff_text": (
        "The design effect of the city's literate share is {deff}. The Kish design effect of th"
        "e final weights is {kish}: unequal weights make the {n} interviews as precise as a sim"
        "ple random sample of {ess} (the effective sample size); 'n' in this report is always t"
        "he number of respondents."
    ),
    "m_rules": "7. Display rules",
    "m_rules_text": (
        "Domains with fewer than {m} respondents are not shown ('—'); estimates from fewer than"
        " {min_n} respondents or with a coefficient of variation (SE/estimate) above {cv}% are "
        "marked '†' (unreliable, for reference only), hatched in charts, and never ranked or co"
        "mpared in the findings. Confidence level {level}%."
    ),
    "m_left_out": (
        "{k} further complete questionnaire(s) have no design weight and are not in the"
        " estimates ({detail}). "
    ),
    "m_left_open_link": "open link: {n}, not a probability sample",
    "m_left_no_design": "invitations without a sample design: {n}",
    "m_left_incomplete_design": "sampled cases with incomplete selection probabilities: {n}",
    "m_rejected": (
        "{k} interview(s) judged invalid on review (rejected) were excluded from the estimates "
        "and treated as nonrespondents in the nonresponse adjustment. "
    ),
    "m_fingerprint": "Data and versions",
    "m_fingerprint_text": (
        "Questionnaire hash {q}; data snapshot {rows} rows, hash {data}; job hash {job}; kesu {"
        "version}; report date {date}."
    ),
    "m_font": "Fonts: body {body} (serif), headings {heading} (sans), both embedded in the PDF.",
    "m_font_fallback": (
        "Font: no embeddable TrueType CJK font was found, so reportlab's CID font {font} was us"
        "ed; it is not embedded, and Chinese shows only in viewers that have a matching font."
    ),
    "items_title": "Item analysis (classical test theory, final weights)",
    "items_title_unweighted": "Item analysis (classical test theory, unweighted)",
    "items_none": "The analysis table has no item scores, so no item analysis is possible.",
    "sec_overall": "Overall level",
    "figure_label": "Figure {n}. ",
    "table_label": "Table {n}. ",
    "table_continued": "Table {n} (continued). ",
    "source_survey": "Source: Yiwu citizen science-literacy survey {year}",
    "source_synthetic": ", simulated data",
    "source_trend": (
        "Source: the Yiwu science-literacy surveys of each wave (their estimates files)"
    ),
    "source_marks": (
        ". † unreliable estimate (small sample or large CV; Appendix 1), for reference only; '—"
        "' too few respondents, not shown."
    ),
    "cover_issuer": "Issued by",
    "cover_fieldwork_by": "Fieldwork by",
    "cover_period": "Fieldwork period",
    "cover_population": "Population",
    "cover_sample": "Sample",
    "cover_sample_text": (
        "{n} respondents in {psu} villages/communities of {strata} towns and streets"
    ),
    "cover_wave": "Wave",
    "cover_date": "Report date",
    "cover_data": "Data",
    "cover_unknown": "(not stated)",
    "period": "{start} to {end}",
    "population_ages": "residents aged {low} to {high}",
    "rate_ci": "{rate}% ({level}% CI {low}%–{high}%)",
    "name_rate": "{name} ({rate}%)",
    "name_unit": "{name} ({unit})",
    "group_ages": "{label} (aged {low}–{high})",
    "headline_unreliable": "† This estimate is unreliable; for reference only.",
    "verdicts": "Against the targets and reference rates",
    "verdicts_intro": (
        "The table compares the city's literate share with the 2025 target and the published ra"
        "tes of China and Zhejiang. 'Difference' is the city's estimate minus the reference (pe"
        "rcentage points); the test is two-sided on the logit scale (consistent with the {level"
        "}% interval), the reference taken as a known constant."
    ),
    "verdicts_none": "No city-wide estimate, so no comparison with the targets.",
    "tab_verdicts": "The literate share against the targets and reference rates",
    "fig_verdicts": "The city's literate share, the target and the reference rates",
    "legend_reference": "outlined bar: target or published rate",
    "col_reference": "Reference",
    "col_reference_rate": "Reference (%)",
    "col_estimate": "Estimate (%)",
    "col_difference": "Difference (pp)",
    "col_p": "p",
    "col_verdict": "Verdict",
    "verdict_above": "significantly above {label} ({rate}%, {year}; {diff} pp, {p})",
    "verdict_below": "significantly below {label} ({rate}%, {year}; {diff} pp, {p})",
    "verdict_same": "not significantly different from {label} ({rate}%, {year}; {diff} pp, {p})",
    "verdict_short_above": "significantly above",
    "verdict_short_below": "significantly below",
    "verdict_short_same": "no significant difference",
    "finding_none": "The city-wide sample is too small for conclusions.",
    "finding_overall": "The share of citizens with science literacy is {rate}",
    "finding_change_sig": (
        "; the change since {year} is {diff} percentage points ({level}% CI {low} to {high}, {p"
        "}), statistically significant."
    ),
    "finding_change_nonsig": (
        "; the change since {year} is {diff} percentage points ({level}% CI {low} to {high}, {p"
        "}), not statistically significant."
    ),
    "finding_verdicts": "Against the targets: {parts}.",
    "finding_left_out": " {k} group(s) with unreliable estimates are not compared.",
    "finding_urban_sig": (
        "{urban}: {urban_rate}; {rural}: {rural_rate}; the gap of {diff} percentage points ({le"
        "vel}% CI {ci}, {p}) is significant."
    ),
    "finding_urban_nonsig": (
        "{urban}: {urban_rate}; {rural}: {rural_rate}; the gap ({diff} pp, {p}) is not significant."
    ),
    "finding_towns_left_out": (
        " {k} towns/streets have unreliable direct estimates (a small sample, or a low share "
        "with a CV above {cv}%) and are not compared (model estimates in chapter 3)."
    ),
    "finding_capacity_gaps": (
        " {missing} have no report this period and {stale} have not been updated for over half "
        "a year."
    ),
    "recommendations": "Recommendations",
    "recommendations_none": "No recommendation rule applies to these results.",
    "recommendations_note": (
        "These recommendations are generated from the results by fixed rules (Appendix 1)."
    ),
    "rec_groups": (
        "Focus on the key groups clearly below the city level: {names}. Suggested: {actions}."
    ),
    "action_youth": "science education with schools and the Youth League",
    "action_farmer": "science content in rural practical-talent and farmer training",
    "action_worker": "science content in vocational and workplace-safety training",
    "action_elderly": (
        "more 'smart help for the elderly' training with practical health and anti-fraud topics"
    ),
    "action_cadre": "science literacy in cadre training",
    "action_default": "dedicated science-popularisation activities",
    "rec_rural": (
        "The urban-rural gap is large ({diff} pp). Direct science-popularisation resources to t"
        "he towns ({towns}) and rural venues."
    ),
    "rec_rural_all": "rural areas",
    "rec_capacity": "Speed up the capacity indicators that are off track: {items}.",
    "rec_capacity_item": "{name} ({unit}; {share}% done, {expected}% expected)",
    "rec_reporting": (
        "These indicators have no current report: the responsible units should report on time: "
        "{names}."
    ),
    "rec_partial": (
        "Some units have no accepted figure for these indicators; have them report, or review"
        " what they sent: {names}."
    ),
    "rec_target_above": (
        "The city is significantly above the {year} target ({rate}%): consolidate, and aim at t"
        "he 2035 national target of 25%."
    ),
    "rec_target_same": (
        "The city is not significantly different from the {year} target ({rate}%): keep investi"
        "ng so that the next wave is clearly above it."
    ),
    "rec_target_below": (
        "The city is significantly below the {year} target ({rate}%): invest more, first in the"
        " weak points above."
    ),
    "rec_sample": (
        "{k} towns/streets have direct estimates with CV above {cv}%: enlarge their samples in "
        "the next wave, or keep using the small-area model."
    ),
    "overall_intro": (
        "The share of citizens with science literacy is {rate}% ({level}% CI {low}%–{high}%, {n"
        "} respondents). The sections below show the levels, the dimension scores and the trend"
        "."
    ),
    "fig_levels": "Literacy levels, all adults and key groups (%)",
    "tab_levels": "Literacy levels",
    "tab_dimensions": "Dimension scores (% of maximum; 95% CI in brackets)",
    "fig_trend": "The literate share in each wave",
    "tab_trend": "The literate share in each wave",
    "fig_groups": "The literate share of the key groups",
    "tab_groups": "The literate share of the key groups",
    "sec_towns_direct": "Direct estimates",
    "fig_map": "The literate share of the towns and streets (schematic, not actual boundaries)",
    "fig_towns": "The literate share of the towns and streets with intervals",
    "tab_towns": "The literate share of the towns and streets (direct estimates)",
    "tab_sae": "Direct and model estimates of the towns and streets",
    "col_model_cv": "Model CV (%)",
    "urban_gap": (
        "Urban minus rural: {diff} percentage points ({level}% CI {ci}, {p}; the difference and"
        " its SE from the same design)."
    ),
    "tab_breakdown": "The literate share by {name}",
    "fig_factor": "{item}: share choosing each option",
    "tab_factor": "{item}: shares and literacy of those choosing",
    "capacity_as_of_note": (
        "Note: the capacity indicators count up to {date} (units report their figures as of that "
        "day), before the report date ({report}); what happened after that day is not counted."
    ),
    "fig_capacity": "Progress of the capacity indicators (on {date})",
    "tab_capacity": "Capacity indicators",
    "capacity_source": (
        "Source: the responsible units' reports. 'not reported': no report before the evaluatio"
        "n date (not counted as 0); '(out of date)': the latest report is more than half a year"
        " old."
    ),
    "col_last_report": "Reported on",
    "not_reported": "not reported",
    "stale_mark": " (out of date)",
    "partial_mark": "*",
    "capacity_partial_note": (
        " * Incomplete total, some units have no accepted figure for this round (not reported"
        " or awaiting review): {items}. Cumulative and stock indicators include these units'"
        " last accepted figures, annual ones nothing of them."
    ),
    "capacity_partial_item": "{name} (missing: {units})",
    "m_criterion": (
        "Science literacy is scored by the national method: {total} points, of which {dims}. A "
        "total of {cut} or more counts as scientifically literate ({levels})."
    ),
    "m_groups": "Key groups",
    "level_min": "{label} ≥ {min}",
    "m_groups_overlap": (
        "Key groups overlap (a young person can also be an industrial worker); each is estimate"
        "d on its own."
    ),
    "group_def_youth": "aged 18 to 35 at the interview",
    "group_def_farmer": "working in agriculture, forestry, husbandry or fishing",
    "group_def_worker": "working in production and manufacturing",
    "group_def_elderly": "aged 60 or over (the survey covers ages up to 69, so 60 to 69)",
    "group_def_cadre": "working in party or government bodies, or heading a public institution",
    "tab_aapor": "Final outcomes of the sampled households and response rates",
    "aapor_source": "Source: fieldwork records (final disposition of every sampled household).",
    "m_nonresponse_text": (
        "Nonresponse: {classes} weighting classes (towns); within each the weight of nonrespond"
        "ing households goes to the responding ones (unknown eligibility by the known eligible "
        "share); weighted response rates range from {low}% to {high}%, the largest factor is {f"
        "actor}."
    ),
    "m_calibration_text": (
        "Calibration: {method}, so that the weighted distribution of {variables} matches the po"
        "pulation totals; the totals and their sources are in the table below."
    ),
    "m_trim_text": (
        "Trimming: {k} weights above the cap {cap} were cut to it and the excess shared among t"
        "he others (total kept)."
    ),
    "m_trim_recalibrated": (
        " Trimming moves the calibrated margins (largest relative error after trimming alone: {"
        "before}%), so trimming and re-calibration alternated for {cycles} cycles until the wei"
        "ghts were within the cap and every margin matched its total."
    ),
    "m_margins_text": (
        "The table recomputes each margin from the final weights: the largest relative error is"
        " {worst}%."
    ),
    "tab_margins": (
        "Calibration margins: population totals, weighted totals of the final weights, sources"
    ),
    "margins_source": (
        "Sources: {sources}. Note: weighted totals and errors from each respondent's final weight."
    ),
    "source_of": "{name}: {source}",
    "col_calvar": "Variable",
    "col_category": "Category",
    "col_pop_total": "Population",
    "col_weighted_total": "Weighted",
    "col_rel_error": "Rel. error (%)",
    "col_source": "Source of the totals",
    "no_source": "not stated in the job file",
    "calvar_sex_age": "sex × age",
    "calvar_urban": "urban/rural",
    "calvar_sex": "sex",
    "calvar_town": "town",
    "tab_weighting": "Weights after each weighting step",
    "weighting_source": (
        "Note: the nonresponse row is on household weights; Kish deff = n × sum(w²) / sum(w)², "
        "effective sample size = n / Kish deff."
    ),
    "m_lonely_fail": "Every stratum has at least two primary sampling units.",
    "m_lonely_adjust": "Strata with a single PSU are centred at the grand mean (conservative).",
    "m_lonely_certainty": (
        "Strata with a single PSU are certainty strata (no first-stage variance)."
    ),
    "m_lonely_average": "Strata with a single PSU get the average variance of the others.",
    "m_sae": "Small-area estimates",
    "m_sae_text": (
        "Town samples are small, and for rates near 0 direct variances are underestimated, so t"
        "he smallest, least stable towns would lean most on their own data. The model is a Fay–"
        "Herriot model on the arcsine-square-root scale: each town's sampling variance there de"
        "pends only on its effective sample size (1/(4 n_eff), n_eff = n / pooled design effect"
        "); the model variance is estimated by REML; estimates are back-transformed with a bias"
        " correction, their MSE by a parametric bootstrap; intervals are built on the transform"
        "ed scale; finally the estimates are scaled so that their population-weighted mean equa"
        "ls the city's direct estimate. In a simulation with known truth of this survey's size "
        "the model's MSE was about 10% below that of the linear model with direct variances, an"
        "d its 95% intervals covered 95% (linear model: 90%)."
    ),
    "m_sae_none": "No small-area model was fitted.",
    "m_quality": "Data quality",
    "m_speed_rule": (
        "The median interview took {median} minutes; interviews faster than 30% of the median ("
        "{speed} minutes) are flagged as speeders. "
    ),
    "m_speeders": (
        "{k} analysed interviews are flagged as speeders; a flag does not remove an interview, "
        "a statistician reviews it. "
    ),
    "m_dropped": "{k} record(s) were left out by the job's exclude: rules ({rules}). ",
    "m_dropped_rule": "{column} in ({values}): {rows}",
    "m_dropped_blank": "blank",
    "sec_extra": "Additional domains",
    "extra_intro": (
        "Weighted estimates for the extra domains of the job (report.domains and estimates)."
    ),
    "extra_all": "All",
    "extra_col_estimate": "Estimate",
    "stat_proportion": "proportion",
    "stat_mean": "mean",
    "stat_total": "total",
    "stat_ratio": "ratio",
    "extra_title": "{variable}: {statistic} by {by}",
    "extra_title_all": "{variable}: {statistic}",
    "extra_key": "Job entry: ",
    "extra_score_total": "total score",
    "extra_score": "{dim} score",
    "m_font_no_serif": (
        "Font: no serif (Song/Ming) TrueType CJK font was found, so the body uses {font}; insta"
        "ll fonts-arphic-uming."
    ),
    "items_no_options": (
        "Note: the analysis table has no raw answers, so option distributions cannot be shown."
    ),
    "items_weight_sum": " (weights sum to {weight_sum})",
    "items_summary": (
        "n = {n}{weights}; {k} items; mean total {mean}, SD {sd}; Cronbach"
        "'s alpha = {alpha}; KR-20 = {kr20}; SEM = {sem}."
    ),
    "items_rules": (
        "Flags: difficulty > {too_easy} too easy, < {too_hard} too hard; corrected point-biseri"
        "al < {min_pbis} not discriminating; upper and lower groups hold {share}% of the {of}"
        " each."
    ),
    "items_groups_of_weight": "weight",
    "items_groups_of_n": "respondents",
    "items_col_item": "Item",
    "items_col_text": "Question",
    "items_col_dimension": "Dimension",
    "items_col_max_points": "Max",
    "items_col_difficulty": "Difficulty",
    "items_col_pbis": "Corrected pbis",
    "items_col_discrimination": "D (27%)",
    "items_col_alpha_if_deleted": "Alpha if deleted",
    "items_col_flags": "Flags",
    "items_col_options": "Options (* = key)",
    "items_no_answer": "no answer",
    "item_flag_too_easy": "too easy",
    "item_flag_too_hard": "too hard",
    "item_flag_not_discriminating": "not discriminating",
    # the mental-health survey report (reports/wellbeing_pdf.py)
    "mh_subtitle": "Yiwu science-literacy plan · Civil servants' mental-health survey",
    "mh_overall": "All respondents",
    "mh_summary_text": (
        "This round received {n} valid anonymous questionnaires from {units} units. PHQ-9 "
        "and GAD-7 are screening scales: a score shows how severe the symptoms of the past "
        "two weeks were, not a diagnosis. Shares are weighted estimates (%) with "
        "{level}% confidence intervals."
    ),
    "mh_unweighted": "The data have no weights: the estimates below are unweighted.",
    "mh_population": (
        "Weighted to the head counts, the answers stand for about {population} civil "
        "servants (the answers are {rate}% of them)."
    ),
    "mh_key_head": "Key results",
    "mh_key_means": "Mean scores",
    "mh_mean_head": "Mean",
    "mh_key_shares": "Shares of the bands and of item 9 positive (%)",
    "mh_col_measure": "Measure",
    "mh_col_estimate": "Estimate",
    "mh_col_ci": "{level}% CI",
    "mh_col_group": "Group",
    "mh_col_n": "n",
    "mh_mean": "{scale}: mean score",
    "mh_band": "{scale}: {band}",
    "mh_flag_row": "{flag}",
    "mh_cover_sample": "{n} valid anonymous questionnaires from {units} units",
    "mh_source": "Source: {survey}",
    "mh_marks": '. † unstable estimate, for reference only; "—" not shown, to protect individuals '
    "(rules in the appendix), or an interval 30 percentage points wide or more, too wide to "
    "quote.",
    "mh_by": "by {domain}",
    "mh_dom_unit_type": "unit type",
    "mh_dom_rank_band": "rank",
    "mh_dom_age_band": "age band",
    "mh_dom_sex": "sex",
    "mh_mean_text": "Mean score {mean} ({level}% CI {low}–{high}); {n} respondents scored.",
    "mh_chart_title": (
        "{scale}: share in each band (%, weighted; groups with hidden cells are not drawn)"
    ),
    "mh_chart_hidden": "hidden cells: not drawn",
    "mh_table_title": "{scale}: share in each band, {by} (%)",
    "mh_flag_table_title": "{flag}: share by group (%)",
    "mh_below_n": "<{m}",
    "mh_table_note": (
        'Note: "—" is not shown: a group under {m} respondents (n given as "<{m}"), a '
        "cell of 1 to {c1} people, or a cell hidden so that a hidden one cannot be worked "
        "out from the totals (complementary suppression). Brackets: {level}% CI (not "
        "shown when {w} percentage points wide or more, too wide to quote). † marks "
        "an unstable estimate (a group under {rn}, a coefficient of variation above {cv}% or "
        "fewer than 8 degrees of freedom): read it with care."
    ),
    "mh_flag_title": "PHQ-9 item 9: thoughts of death or self-harm",
    "mh_flag_text": (
        "The share who had thoughts that they would be better off dead or of hurting "
        'themselves in the past two weeks (item 9 answered "several days" or more) is '
        "{rate}% ({level}% CI {low}–{high}). These respondents saw a help message with "
        "hotlines at once after the page; the flag is only counted and identifies nobody."
    ),
    "mh_flag_hidden": "Not shown, to protect individuals.",
    "mh_find_screen": (
        "{scale}: {rate}% scored {cut} or more, a positive screen ({level}% CI "
        "{low}–{high}); the mean score is {mean}."
    ),
    "mh_find_screen_noci": (
        "{scale}: {rate}% scored {cut} or more, a positive screen (too few answers to "
        "give an interval); the mean score is {mean}."
    ),
    "mh_find_screen_hidden": (
        "{scale}: the share scoring {cut} or more is not shown, to protect individuals."
    ),
    "mh_find_differences": " By {domains}, the groups differ by more than sampling error "
    "(p < 0.05 after Holm's correction for the {k} group variables tested).",
    "mh_find_no_difference": " The groups' differences are all within sampling error "
    "(Holm's correction for the {k} group variables tested).",
    "mh_find_flag": "{flag}: {rate}% ({level}% CI {low}–{high}).",
    "mh_find_flag_noci": "{flag}: {rate}% (too few answers to give an interval).",
    "mh_find_flag_hidden": "{flag}: not shown, to protect individuals.",
    "mh_find_care": (
        " Respondents who gave this answer saw a help message with hotlines at once after "
        "the page; the survey is anonymous, and this result cannot and must not be used to "
        "look for anyone."
    ),
    "bd_test": (
        "Test of a difference between the groups (Rao-Scott corrected F): F = {f} on {df1} "
        "and {df2} df, {p}. A p below 0.05 means the groups' literacy rates differ by more "
        "than sampling error would explain{left_out}."
    ),
    "bd_test_left_out": "; not in the test, as their rates are not shown (too few "
    "respondents): {groups}",
    "bd_test_none": "No test of a difference between the groups: fewer than two groups have "
    "a rate shown, or their rates are too extreme (such as all 0% or 100%) to test.",
    "mh_screen_head": "Positive screen ({cut} or more)",
    "mh_test": (
        "Test of a difference between the groups (Rao-Scott corrected F): {tests}. A p below "
        "0.05 means the groups differ by more than sampling error would explain; the test "
        "includes only the groups whose every figure is published{left_out}."
    ),
    "mh_test_one": "{domain}F = {f} on {df1} and {df2} df, {p}",
    "mh_test_left_out": " (not included: {groups})",
    "mh_test_none": "No test of a difference between the groups by {domains}: fewer than two "
    "groups have every figure published.",
    "mh_test_same": "No test of a difference between the groups by {domains}: their answers "
    "are too concentrated (e.g. all in one category) to test.",
    "mh_screen_table_title": (
        "{scale}: share scoring {cut} or more (a positive screen), by group (%)"
    ),
    "mh_find_caution": (
        "These are screening results: a positive screen means symptoms severe enough to "
        "deserve attention, not a clinical diagnosis. The groups' results follow; whether "
        "groups differ is told by the test under each table."
    ),
    "mh_methods": "Appendix: methods",
    "mh_m_instruments": "Scales and scoring",
    "mh_m_scale": (
        "{scale}: {items} items, {method}, {low}–{high}; scored with at least "
        "{min_answered} answers{reverse}; bands: {bands}. Source: {reference}."
    ),
    "mh_m_sum": "sum of the item scores",
    "mh_m_sum_prorated": "sum of the item scores (prorated from the answered items)",
    "mh_m_mean": "mean of the item scores",
    "mh_m_reverse": "; {items} reverse-scored",
    "mh_m_anonymity": "Anonymity and data protection",
    "mh_m_anonymity_text": (
        "Respondents answered through anonymous links of their units, each with a quota "
        "(its head count); no invitation was tied to a person. No IP address, browser or "
        "device data is stored and times are kept to the day; the server's request logs "
        "of the answer pages hold no address or browser either. This report shows only "
        "results for groups."
    ),
    "mh_m_care": "Duty of care",
    "mh_m_care_text": (
        'Anyone who answered PHQ-9 item 9 with "several days" or more saw, right after '
        "that page (on the next page and the thanks page), a help message with hotlines "
        "(by default the national psychological assistance hotline 12356, the public "
        "health hotline 12320 and the emergency number 120; a city can put its own lines "
        "in the wave settings). The survey is anonymous: the organisers cannot contact anyone."
    ),
    "mh_m_weighting": "Weighting and variance",
    "mh_m_weighting_text": (
        "Design weights: column {weights}. {calibration}Variance: Taylor linearisation"
        "{design}. Intervals of shares are logit intervals."
    ),
    "mh_m_calibration": "The weights were raked to the population counts of {margins}. ",
    "mh_m_no_calibration": "No calibration. ",
    "mh_m_design": ', with the column "{psu}" (the units of an anonymous wave) as primary '
    "sampling units{strata}",
    "mh_m_strata": ' within the strata of the column "{strata}"',
    "mh_m_suppression": "Small groups and suppression",
    "mh_m_suppression_text": (
        "A group with fewer than {m} respondents shows no share (its n is given as "
        '"<{m}"); a cell of 1 to {c1} people is not shown, since members of the group could '
        "recognise each other; so that no hidden cell can be worked out from a row (100%) or "
        "from the total, the smallest other cell of that row or column is hidden too "
        "(complementary suppression). Over all tables {total} cells are hidden: {small_n} "
        "for groups under {m}, {small_cell} of 1 to {c1} people, {complementary} "
        "complementary."
    ),
    "mh_m_limits": "Limitations",
    "mh_m_limits_text": (
        "Screening is not diagnosis. Voluntary anonymous answering may select respondents; "
        "weighting corrects only the unit and the calibration variables. The work-stress "
        "block is kesu's own wording, not a validated scale, and is only descriptive."
    ),
}

STRINGS: dict[str, dict[str, str]] = {"zh-CN": _ZH, "en": _EN}
