"""Every UI string of the report, in Chinese (default) and English.

Questionnaire labels (towns, groups, levels, dimensions, options) come from the
questionnaire, never from here. :func:`tr` looks a key up and formats it;
unknown languages fall back to zh-CN, unknown keys raise ``KeyError`` (so a
missing translation is found by the tests, not by a reader).
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

LANGUAGES = ("zh-CN", "en")

_ZH: dict[str, str] = {
    "dash_title": "{wave} · 实时结果",
    "dash_live": "以下为目前已完成问卷的即时估计，口径与PDF报告相同；调查结束前数字会变化。",
    "dash_pdf": "下载PDF报告（{language}）",
    "dash_pdf_zh": "中文",
    "dash_pdf_en": "英文",
    "dash_respondents": "已完成问卷：{n} 份",
    "dash_no_data": "这一轮调查还没有完成的问卷，暂无结果。",
    "dash_fingerprint": "问卷 {q} · 数据 {rows} 行 {data} · 作业 {job} · kesu {version}",
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
    "headline_ci_level": "{level}%置信区间：{low}%–{high}%；有效样本 {n} 人；设计效应 {deff}",
    "change": (
        "与{year}年（{wave}）相比变化 {diff} 个百分点（{level}%置信区间 {low}–{high}，p = {p}"
        "），{verdict}。"
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
    "findings": "主要发现",
    "finding_groups": "重点人群中，{high}的比例最高（{high_rate}%），{low}最低（{low_rate}%）。",
    "finding_towns": "镇街中，{high}的比例最高（{high_rate}%），{low}最低（{low_rate}%）。",
    "finding_capacity": "能力建设指标中有 {k} 项进度滞后：{names}。",
    "finding_capacity_ok": "能力建设指标均按计划推进或已完成。",
    "finding_suppressed": "有 {k} 个分组样本量不足 {m} 人，数值未予显示。",
    "sec_groups": "一、重点人群的科学素质",
    "sec_towns": "二、各镇街的科学素质",
    "sec_levels": "三、科学素质水平分布",
    "sec_dimensions": "四、各维度得分",
    "sec_breakdowns": "五、不同人口特征的科学素质",
    "sec_trend": "六、变化趋势",
    "sec_factors": "七、影响因素",
    "sec_capacity": "八、能力建设指标完成情况",
    "app_methods": "附录一  方法说明",
    "app_items": "附录二  题目分析",
    "groups_intro": (
        "下图为五类重点人群具备科学素质的比例及其{level}%置信区间（误差线）。重点人群可能相互"
        "重叠（例如青少年也可能是产业工人），每类人群单独估计。"
    ),
    "towns_intro": (
        "下图为14个镇（街道）具备科学素质的比例及其{level}%置信区间。各镇街样本量较小，区间较"
        "宽，比较时请注意。"
    ),
    "levels_intro": (
        "按总分将受访者分为四个水平（≥85分、70–84分、55–69分、55分以下）。具备科学素质的比例 "
        "= 高阶水平 + 具备水平。"
    ),
    "dimensions_intro": (
        "各维度平均得分占该维度满分的百分比（知识满分40分，方法、精神、应用各20分）。"
    ),
    "breakdowns_intro": "按城乡、年龄、性别和文化程度分组的具备科学素质比例。",
    "trend_intro": (
        "历次调查的具备科学素质比例（误差线为{level}%置信区间），以及全国和浙江省公布的比例。"
    ),
    "factors_intro": (
        "获取科技信息的渠道和参加科普活动的情况，以及不同选择人群的具备科学素质比例（相关关系"
        "，不代表因果）。"
    ),
    "capacity_intro": (
        "按线性进度计算到{date}应完成的进度（图中黑色竖线）；完成量低于应完成进度的{tol}%视为滞后。"
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
    "factors_adjusted_test": "该题整体检验（Wald F）：F = {f}，自由度 {df1} 和 {df2}，{p}。",
    "factors_not_fitted": (
        "该题的logistic回归无法拟合（有的选项人数过少或全部具备/不具备），未给出OR。"
    ),
    "factors_one_option": "该题只有一个选项有人选择，无法比较。",
    "list_sep": "、",
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
    "col_status": "状态",
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
    "status_no_data": "无数据",
    "legend_progress": "完成率",
    "legend_off_track": "进度滞后",
    "legend_expected": "应完成进度",
    "age_band": "年龄 {band} 岁",
    "bd_urban": "城乡",
    "bd_age_band": "年龄",
    "bd_sex": "性别",
    "bd_education": "文化程度",
    "sae_head": "小区域估计（Fay-Herriot模型）",
    "sae_intro": (
        "镇街样本量小，直接估计不够稳定。下表同时列出直接估计和Fay-Herriot模型估计（经验最佳"
        "线性无偏预测，EBLUP；{cov}）。模型估计借用其他镇街的信息，更稳定，但依赖模型假设；γ"
        "为直接估计所占权重；模型估计区间为正态近似，截断在0–100%之间。"
        "正式公布以直接估计为准，模型估计仅供参考。"
    ),
    "sae_cov_none": "只含截距",
    "sae_cov": "协变量：{names}",
    "sae_none": "未拟合小区域模型（{why}）。",
    "trend_yiwu": "本市（调查估计）",
    "trend_national": "全国（公布）",
    "trend_zhejiang": "浙江省（公布）",
    "m_population": "1. 调查对象",
    "m_population_text": "{population}。本轮调查{wave}，调查年份{year}年。",
    "m_design": "2. 抽样设计",
    "m_design_text": (
        "分层多阶段抽样：以{strata}个镇（街道）为层，层内按人口规模成比例概率（PPS）抽取{psu}"
        "个村（社区），村（社区）内等距抽取住户，住户内随机抽取1名18–69岁居民。有效样本{n}人"
        "，设计自由度{df}。"
    ),
    "m_design_unweighted": (
        "本轮数据没有抽样权数，估计为未加权估计（每人权数相同），只能代表参加调查的人。"
    ),
    "m_fieldwork": "3. 实地调查与应答率（AAPOR标准定义）",
    "m_fieldwork_none": "未提供实地调查结果（各样本户的最终结果代码），无法计算应答率。",
    "m_fieldwork_text": (
        "共抽取 {sampled} 个样本户。按美国舆论研究协会（AAPOR）2023年标准定义计算应答率；未知"
        "资格样本中的合格比例 e = {e}。完成访问的中位时长 {median} 分钟；用时少于中位数30%（{"
        "speed} 分钟）的 {speeders} 份问卷标记为过快。"
    ),
    "aapor_I": "完成访问 (1.1)",
    "aapor_P": "部分完成 (1.2)",
    "aapor_R": "拒访和中断 (2.1)",
    "aapor_NC": "未接触 (2.2)",
    "aapor_O": "其他未访问 (2.3)",
    "aapor_UH": "住户资格未知 (3.1)",
    "aapor_UO": "其他资格未知 (3.2–3.9)",
    "aapor_NE": "不合格 (4)",
    "rate_rr1": "应答率 RR1",
    "rate_rr2": "应答率 RR2",
    "rate_rr3": "应答率 RR3",
    "rate_rr4": "应答率 RR4",
    "rate_coop1": "合作率 COOP1",
    "rate_ref1": "拒访率 REF1",
    "rate_con1": "接触率 CON1",
    "m_weighting": "4. 加权",
    "m_weighting_text": (
        "基础权数为各阶段入样概率乘积的倒数；随后依次进行以下调整。Kish设计效应反映权数不等造"
        "成的方差膨胀，有效样本量 = 样本量 / Kish设计效应。"
    ),
    "m_step_nonresponse": "无回答调整（按加权类）",
    "m_step_rake": "多变量迭代比例加权（raking），校准到人口总体边际",
    "m_step_calibrate": "广义回归校准",
    "m_step_poststratify": "事后分层",
    "m_step_trim": "权数截尾（保持权数总和不变）",
    "m_diag_iter": "迭代次数",
    "m_diag_err": "最大边际误差",
    "m_diag_deff": "Kish设计效应（前→后）",
    "m_diag_ess": "有效样本量（前→后）",
    "m_diag_range": "权数范围（最大/最小）",
    "m_diag_sum": "权数总和（后）",
    "m_variance": "5. 方差估计",
    "m_variance_taylor": (
        "采用泰勒线性化方法估计方差（按层和初级抽样单元计算，考虑校准的影响），与R语言survey"
        "程序包一致；比例的置信区间用logit变换法，自由度为初级抽样单元数减层数（{df}）。"
    ),
    "m_variance_rep": "采用重复权数法（{method}）估计方差；比例的置信区间用logit变换法。",
    "m_lonely": "单个初级抽样单元的层按“{policy}”方法处理。",
    "m_lonely_adjusted": (
        "注意：作业文件要求遇到只有一个初级抽样单元的层时停止（fail），为生成报告改用保守的“a"
        "djust”方法（{why}）。"
    ),
    "m_deff": "6. 设计效应",
    "m_deff_text": (
        "总体具备科学素质比例的设计效应为 {deff}（方差与同样本量简单随机抽样方差之比）；最终"
        "权数的Kish设计效应为 {kish}。"
    ),
    "m_rules": "7. 数据显示规则",
    "m_rules_text": (
        "样本量少于 {m} 人的分组不显示数值（以“—”表示）；样本量少于 {min_n} 人或变异系数（CV "
        "= 标准误/估计值）大于 {cv}% 的估计标记为“†”（不可靠），图中以斜线表示。置信水平 {lev"
        "el}%。"
    ),
    "m_rejected": "{k} 份问卷因质量检查未通过被剔除。",
    "m_fingerprint": "8. 数据与版本",
    "m_fingerprint_text": (
        "问卷哈希 {q}；数据快照 {rows} 行，哈希 {data}；作业文件哈希 {job}；kesu 版本 {versio"
        "n}；生成日期 {date}。"
    ),
    "m_font": "字体：{font}，已嵌入PDF，在任何设备上显示相同。",
    "m_font_fallback": (
        "字体：未找到可嵌入的TrueType中文字体，使用了reportlab自带的CID字体{font}；"
        "该字体未嵌入PDF，只有安装了相应中文字体的阅读器才能正确显示中文。"
    ),
    "items_title": "题目分析（经典测验理论，按最终权数加权）",
    "items_none": "分析表中没有逐题得分，无法进行题目分析。",
}

_EN: dict[str, str] = {
    "dash_title": "{wave} · live results",
    "dash_live": (
        "Live estimates from the questionnaires completed so far, computed exactly as in "
        "the PDF report; they change until the wave closes."
    ),
    "dash_pdf": "Download the PDF report ({language})",
    "dash_pdf_zh": "Chinese",
    "dash_pdf_en": "English",
    "dash_respondents": "Completed questionnaires: {n}",
    "dash_no_data": "This wave has no completed questionnaire yet, so there are no results.",
    "dash_fingerprint": "questionnaire {q} · data {rows} rows {data} · job {job} · kesu {version}",
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
    "headline_ci_level": "{level}% CI {low}%–{high}%; {n} respondents; design effect {deff}",
    "change": (
        "Change since {year} ({wave}): {diff} percentage points ({level}% CI {low} to {high},"
        " p = {p}); {verdict}."
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
    "findings": "Key findings",
    "finding_groups": (
        "Among the key groups, {high} have the highest rate ({high_rate}%) and {low} the lowe"
        "st ({low_rate}%)."
    ),
    "finding_towns": (
        "Among towns and streets, {high} has the highest rate ({high_rate}%) and {low} the lo"
        "west ({low_rate}%)."
    ),
    "finding_capacity": "{k} capacity indicator(s) are off track: {names}.",
    "finding_capacity_ok": "All capacity indicators are on track or achieved.",
    "finding_suppressed": (
        "{k} domain(s) have fewer than {m} respondents; their figures are not shown."
    ),
    "sec_groups": "1. Key groups",
    "sec_towns": "2. Towns and streets",
    "sec_levels": "3. Literacy levels",
    "sec_dimensions": "4. Dimension scores",
    "sec_breakdowns": "5. Other breakdowns",
    "sec_trend": "6. Trends",
    "sec_factors": "7. Influencing factors",
    "sec_capacity": "8. Capacity indicators",
    "app_methods": "Appendix A. Methodology",
    "app_items": "Appendix B. Item analysis",
    "groups_intro": (
        "Share with science literacy in the five key groups, with {level}% confidence interva"
        "ls (whiskers). Groups overlap (a young person can also be an industrial worker); eac"
        "h is estimated on its own."
    ),
    "towns_intro": (
        "Share with science literacy in the 14 towns and streets, with {level}% confidence in"
        "tervals. Town samples are small and intervals wide: compare with care."
    ),
    "levels_intro": (
        "Respondents by level of their total score (>=85, 70-84, 55-69, below 55). The litera"
        "te share = advanced + literate."
    ),
    "dimensions_intro": (
        "Mean dimension score as a percentage of the dimension's maximum (knowledge 40 points"
        "; methods, spirit and application 20 each)."
    ),
    "breakdowns_intro": "Share with science literacy by residence, age, sex and education.",
    "trend_intro": (
        "The literate share in each wave ({level}% confidence intervals as whiskers), with th"
        "e published rates of China and Zhejiang."
    ),
    "factors_intro": (
        "Where people get science information and whether they took part in science activitie"
        "s, with the literate share of those who did (an association, not a cause)."
    ),
    "capacity_intro": (
        "Expected progress on {date} assumes linear progress to the deadline (black tick); an"
        " indicator below {tol}% of its expected progress is off track."
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
    "df, {p}.",
    "factors_not_fitted": "The logistic regression could not be fitted for this item (an option "
    "with too few people, or all or none literate); no odds ratios are shown.",
    "factors_one_option": "Only one option of this item was chosen: nothing to compare.",
    "list_sep": ", ",
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
    "col_status": "Status",
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
    "status_no_data": "no data",
    "legend_progress": "progress",
    "legend_off_track": "off track",
    "legend_expected": "expected progress",
    "age_band": "aged {band}",
    "bd_urban": "Residence",
    "bd_age_band": "Age",
    "bd_sex": "Sex",
    "bd_education": "Education",
    "sae_head": "Small-area estimates (Fay-Herriot model)",
    "sae_intro": (
        "Town samples are small, so direct estimates are unstable. The table shows the direct"
        " estimates beside Fay-Herriot model estimates (EBLUP; {cov}). Model estimates borrow"
        " strength from other towns and are more stable but rest on the model; γ is the weigh"
        "t on the direct estimate. Official figures are the direct estimates; model estimates"
        " are for reference. Model intervals are normal approximations cut at 0 and 100%."
    ),
    "sae_cov_none": "intercept only",
    "sae_cov": "covariates: {names}",
    "sae_none": "No small-area model was fitted ({why}).",
    "trend_yiwu": "Yiwu (survey estimate)",
    "trend_national": "China (published)",
    "trend_zhejiang": "Zhejiang (published)",
    "m_population": "1. Population",
    "m_population_text": "{population}. Wave {wave}, fieldwork in {year}.",
    "m_design": "2. Sample design",
    "m_design_text": (
        "Stratified multistage sample: {strata} towns/streets as strata; {psu} villages/commu"
        "nities selected with probability proportional to size; households selected systemati"
        "cally; one resident aged 18-69 per household. {n} respondents; design degrees of fre"
        "edom {df}."
    ),
    "m_design_unweighted": (
        "The data have no sampling weights: estimates are unweighted (equal weights) and desc"
        "ribe only the people who took part."
    ),
    "m_fieldwork": "3. Fieldwork and response rates (AAPOR)",
    "m_fieldwork_none": (
        "No fieldwork outcomes (final disposition codes) were provided, so no response rates "
        "can be computed."
    ),
    "m_fieldwork_text": (
        "{sampled} households were sampled. Rates follow the AAPOR Standard Definitions (2023"
        "); the eligible share among cases of unknown eligibility is e = {e}. Median intervie"
        "w length {median} minutes; {speeders} interview(s) faster than 30% of the median ({s"
        "peed} minutes) are flagged as speeders."
    ),
    "aapor_I": "Complete (1.1)",
    "aapor_P": "Partial (1.2)",
    "aapor_R": "Refusal and break-off (2.1)",
    "aapor_NC": "Non-contact (2.2)",
    "aapor_O": "Other non-interview (2.3)",
    "aapor_UH": "Unknown if household (3.1)",
    "aapor_UO": "Unknown, other (3.2-3.9)",
    "aapor_NE": "Not eligible (4)",
    "rate_rr1": "Response rate RR1",
    "rate_rr2": "Response rate RR2",
    "rate_rr3": "Response rate RR3",
    "rate_rr4": "Response rate RR4",
    "rate_coop1": "Cooperation rate COOP1",
    "rate_ref1": "Refusal rate REF1",
    "rate_con1": "Contact rate CON1",
    "m_weighting": "4. Weighting",
    "m_weighting_text": (
        "Base weights are the inverse products of the selection probabilities of every stage;"
        " the steps below follow. The Kish design effect measures the variance inflation from"
        " unequal weights; effective sample size = n / Kish deff."
    ),
    "m_step_nonresponse": "Nonresponse adjustment (weighting classes)",
    "m_step_rake": "Raking to population margins",
    "m_step_calibrate": "Calibration (generalised regression)",
    "m_step_poststratify": "Post-stratification",
    "m_step_trim": "Weight trimming (total kept)",
    "m_diag_iter": "Iterations",
    "m_diag_err": "Largest margin error",
    "m_diag_deff": "Kish deff (before → after)",
    "m_diag_ess": "Effective n (before → after)",
    "m_diag_range": "Weight range (max/min)",
    "m_diag_sum": "Sum of weights (after)",
    "m_variance": "5. Variance estimation",
    "m_variance_taylor": (
        "Variances by Taylor linearisation over strata and primary sampling units, accounting"
        " for calibration (matching R's survey package); intervals for proportions by the log"
        "it method with {df} degrees of freedom (PSUs minus strata)."
    ),
    "m_variance_rep": (
        "Variances from replicate weights ({method}); intervals for proportions by the logit "
        "method."
    ),
    "m_lonely": "Strata with a single PSU: '{policy}' method.",
    "m_lonely_adjusted": (
        "Note: the job asks to stop on strata with a single PSU (fail); for this report the c"
        "onservative 'adjust' method was used instead ({why})."
    ),
    "m_deff": "6. Design effects",
    "m_deff_text": (
        "The design effect of the overall literate share is {deff} (its variance over that of"
        " a simple random sample of the same size); the Kish design effect of the final weigh"
        "ts is {kish}."
    ),
    "m_rules": "7. Display rules",
    "m_rules_text": (
        "Domains with fewer than {m} respondents are not shown ('—'); estimates from fewer th"
        "an {min_n} respondents or with a coefficient of variation (SE/estimate) above {cv}% "
        "are marked '†' (unreliable) and hatched in charts. Confidence level {level}%."
    ),
    "m_rejected": "{k} questionnaire(s) failed the quality checks and were excluded.",
    "m_fingerprint": "8. Data and versions",
    "m_fingerprint_text": (
        "Questionnaire hash {q}; data snapshot {rows} rows, hash {data}; job hash {job}; kesu"
        " {version}; generated {date}."
    ),
    "m_font": "Font: {font}, embedded in the PDF, so the text looks the same everywhere.",
    "m_font_fallback": (
        "Font: no embeddable TrueType CJK font was found, so reportlab's CID font {font} was"
        " used; it is not embedded, and Chinese shows only in viewers that have a matching font."
    ),
    "items_title": "Item analysis (classical test theory, final weights)",
    "items_none": "The analysis table has no item scores, so no item analysis is possible.",
}

CATALOGUE: dict[str, dict[str, str]] = {"zh-CN": _ZH, "en": _EN}


def check_language(lang: str) -> str:
    """``lang`` if supported, else ``zh-CN`` (logged).

    Example:
        >>> check_language("en")
        'en'
    """
    if lang in CATALOGUE:
        return lang
    logger.warning("report language %r not available; using zh-CN", lang)
    return "zh-CN"


def tr(lang: str, key: str, **values: Any) -> str:
    """The string ``key`` in ``lang``, formatted with ``values``.

    Raises:
        KeyError: no such key.

    Example:
        >>> tr("en", "footer", page=2, pages=9)
        'Page 2 of 9'
    """
    table = CATALOGUE.get(lang, _ZH)
    text = table[key]
    return text.format(**values) if values else text
