"""Capacity-building monitoring (科学素质建设能力监测评估) in the web survey: reporting
rounds, unit reporters' forms and Excel templates, evidence files, the 科协's review.

The plan model, the checks, progress, the index and the round summaries are pure
functions in :mod:`reports.capacity` and :mod:`reports.capacity_round`; this package
stores rounds and submissions (:mod:`survey.capacity.models`), runs the workflows
(:mod:`survey.capacity.services`), serves the pages (:mod:`survey.capacity.web`) and the
``kesu capacity`` commands (:mod:`survey.capacity.cli`).
"""
