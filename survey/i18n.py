"""The user-interface strings of the web survey, in Simplified Chinese and English.

Questionnaire texts come from the questionnaire file; everything else a respondent or a
staff member reads is here, so a translation is one dict. Missing English strings fall
back to Chinese (the default language). Stored codes (wave status, roles, review
decisions, AAPOR categories, ...) keep their values; :func:`code_label` gives their
display names. The language of a request is ``g.lang`` (the ``?lang=`` switch of
:mod:`survey.respond`); :func:`ui_text` and :func:`ui_label` read it.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import g
from flask import has_app_context
from flask import has_request_context
from flask import session

from sampling.outcomes import DISPOSITIONS

logger = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "zh-CN"
LANGUAGES: dict[str, str] = {"zh-CN": "中文", "en": "English"}

MESSAGES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "app_name": "科素 · 公民科学素质调查",
        "switch_language": "English",
        "large_text_on": "大字模式",
        "large_text_off": "标准字号",
        "consent_title": "调查说明",
        "consent_intro": "感谢您参加本次调查。请先阅读以下说明。",
        "privacy_heading": "我们收集什么、为什么收集",
        "privacy_default": "您的回答仅用于统计分析，不会公开任何个人信息。",
        "privacy_paradata": "为改进问卷，我们还记录每页用时和设备类型（手机、平板或电脑），"
        "不记录您的IP地址和设备型号。为发现重复填写，浏览器会保存一个随机编号（Cookie），"
        "其中不含任何个人信息。",
        "minutes": "大约需要 {minutes} 分钟。",
        "consent_agree": "我已阅读说明，同意参加",
        "start": "开始答题",
        "resume": "继续答题",
        "page_of": "第 {page} 页，共 {pages} 页",
        "progress": "答题进度",
        "next": "下一页",
        "back": "上一页",
        "submit": "提交问卷",
        "saved_note": "每次翻页都会保存您的回答；可以随时用同一链接回来继续。",
        "required_mark": "（必答）",
        "optional_mark": "（选答）",
        "choose_one": "请选择一项",
        "choose_any": "可多选",
        "errors_heading": "有 {count} 处需要修改：",
        "err_required": "此题必答，请回答。",
        "err_new_question": "根据您的回答新出现了这道题，请回答。",
        "err_one_value": "只能选择一项。",
        "err_unknown_code": "“{code}”不是本题的选项，请重新选择。",
        "err_duplicate": "同一选项选了两次。",
        "err_exclusive": "“{label}”不能与其他选项同时选择。",
        "err_number": "请输入数字。",
        "err_integer": "请输入整数。",
        "err_min": "不能小于 {min}。",
        "err_max": "不能大于 {max}。",
        "err_too_long": "最多 {max} 个字，目前 {length} 个字。",
        "err_constraint": "这个回答不符合要求，请检查。",
        "thanks_title": "提交成功，谢谢您！",
        "thanks_body": "您的回答已安全保存。",
        "learn_link": "看看正确答案与解释",
        "learn_title": "正确答案与解释",
        "dashboard_link": "查看实时结果与PDF报告",
        "learn_intro": "下面是每道知识题的正确答案。学习科学，从这里开始！",
        "your_answer": "您的答案",
        "right_answer": "正确答案",
        "no_answer": "未作答",
        "correct": "答对了",
        "wrong": "答错了",
        "closed_title": "调查未开放",
        "closed_body": "本次调查目前没有开放。如有疑问，请联系调查员。",
        "open_title": "参加调查",
        "open_body": "点击下方按钮开始。每位居民只需填写一次。",
        "already_title": "您已参加过本次调查",
        "unit": "单位：{unit}",
        "back_to_survey": "返回问卷",
        "err_page_not_in_survey": "您的问卷里没有这一页。",
        "sample_not_utf8": "第 {line} 行：文件既不是 UTF-8 也不是 GB18030（GBK）编码的文本。"
        "请在 Excel 中另存为“CSV UTF-8”或 Excel 工作簿（.xlsx）。",
        "sample_blank_header": "第 1 行：{letter} 列有数据但没有列名。"
        "请在第 1 行填写列名，或删除这一列。",
        "sample_xls": "这是旧版 Excel 97-2003 文件（.xls）。"
        "请在 Excel 或 WPS 中另存为 .xlsx 或 CSV UTF-8。",
        "sample_not_workbook": "文件无法作为 Excel 工作簿（.xlsx）读取。请重新保存后再上传。",
        "sample_unreadable": "文件无法读取：{detail}",
        "sample_town": "第 {line} 行“town”列：“{got}”不是问卷中的镇街（可用代码：{codes}，"
        "也可以写镇街名称）。",
        "sample_empty": "文件是空的。",
        "sample_width": "第 {line} 行：有 {values} 个值，但表头有 {columns} 列。"
        "请检查是否多了或少了逗号。",
        "sample_dup_column": "第 1 行：“{column}”列出现了两次。",
        "sample_missing_column": "第 1 行：缺少“{column}”列。请使用 kesu sample draw 生成的文件。",
        "sample_too_many": "超过 {max} 行，请把文件拆开分批导入。",
        "sample_id": "第 {line} 行“{column}”列：编号需要 1 到 64 个字符。",
        "sample_id_twice": "第 {line} 行“{column}”列：“{got}”在第 {other} 行也出现过。",
        "sample_value": "第 {line} 行“{column}”列：需要 1 到 64 个字符的值。",
        "sample_not_number": "第 {line} 行“{column}”列：“{got}”不是数字。",
        "sample_probability": "第 {line} 行“{column}”列："
        "概率必须大于 0、不超过 1（现在是 {got}）。",
        "sample_positive": "第 {line} 行“{column}”列：必须大于 0（现在是 {got}）。",
        "sample_whole": "第 {line} 行“{column}”列：必须是不小于 1 的整数（现在是“{got}”）。",
        "sample_mode": "第 {line} 行“mode”列：不认识的调查方式“{got}”（可用：{modes}）。",
        "sample_no_rows": "文件只有表头，没有数据行。",
        "sample_in_wave": "第 {line} 行“{column}”列：“{got}”已经在调查轮次 {wave} 中。",
        "sample_no_user": "第 {line} 行“interviewer”列：没有用户“{got}”。请先建立这个账号。",
        "err_no_link": "找不到这个调查链接。请检查链接是否完整，或联系调查员。",
        "err_consent_first": "请先阅读调查说明，并点击同意参加。",
        "err_form_stale": "这一页已经过期。请返回问卷，重新打开这一页再作答。",
        "err_page_not_reached": "请先答完前面的题目。",
        "err_learn_after_submit": "提交问卷后才能查看正确答案。",
        "err_learn_not_offered": "本次调查不提供正确答案。",
        "field_title": "我的样本户",
        "field_none": "还没有分配给您的样本户。",
        "field_logout": "退出",
        "field_attempts_short": "入户 {n} 次",
        "field_last": "最近结果 {code}",
        "field_selected": "被访者 {label}",
        "field_interview": "访问{status}",
        "field_back": "← 我的样本户",
        "field_town_psu": "镇街 / 村（社区）",
        "field_wave": "调查轮次",
        "field_not_open": "本轮调查未开放。",
        "field_attempts": "入户记录",
        "field_no_attempts": "还没有记录。",
        "field_outcome": "结果（AAPOR代码）",
        "field_note": "备注（请勿填写姓名、电话）",
        "field_record": "记录",
        "field_roster": "家庭成员与被访者选择",
        "field_privacy": "隐私说明：只记录称呼或姓名缩写、性别和年龄{birthday}，"
        "这是选择被访者所需的全部信息；不记录全名、电话、地址或身份证号。",
        "field_privacy_birthday": "以及生日（月-日）",
        "field_rule": "选择方法：{rule}",
        "field_nickname": "称呼或缩写",
        "field_sex": "性别",
        "field_age": "年龄",
        "field_birthday": "生日（月-日）",
        "field_male": "男",
        "field_female": "女",
        "field_select": "选择被访者",
        "field_selected_mark": "✔ 被选者",
        "field_eligible": "合格成员 {n} 人，入选概率 {p}",
        "field_interview_heading": "访问",
        "field_complete": "访问已完成。",
        "field_gps_consent": "被访者同意记录本次访问的位置",
        "field_start": "开始访问",
        "field_resume": "继续访问",
        # -- staff pages (admin, statistician, viewer) --------------------------------------
        "staff_login_title": "工作人员登录",
        "staff_username": "用户名",
        "staff_password": "密码",
        "staff_login": "登录",
        "staff_login_failed": "用户名或密码不正确。",
        "staff_waves": "调查轮次",
        "staff_new_wave": "新建调查轮次",
        "staff_logout": "退出（{user}）",
        "waves_none": "还没有调查轮次。",
        "waves_create_one": "新建一个",
        "waves_caption": "各调查轮次及其答卷数",
        "col_name": "名称",
        "col_status": "状态",
        "col_questionnaire": "问卷",
        "col_invitations": "邀请",
        "col_partial": "部分完成",
        "col_complete": "已完成",
        "wave_heading": "调查轮次 {name}",
        "wave_survey_year": "调查年份",
        "wave_counts": "邀请 / 部分完成 / 已完成",
        "wave_your_role": "您的角色",
        "wave_monitor_link": "实地监控",
        "wave_exports": "导出",
        "export_codebook_csv": "代码本（CSV）",
        "export_codebook_pdf": "代码本（PDF）",
        "export_cases": "样本户与结果代码（CSV）",
        "wave_close": "关闭本轮调查",
        "wave_open": "开放本轮调查",
        "wave_open_link": "公开链接",
        "wave_qr_alt": "公开链接的二维码",
        "wave_sample": "样本",
        "wave_sample_file": "样本文件（CSV、Excel .xlsx 或 Parquet）",
        "wave_sample_from": "由以下命令生成：",
        "wave_mode": "调查方式",
        "wave_import": "导入",
        "wave_links_csv": "邀请链接（CSV）",
        "wave_qr_sheets": "二维码打印页（PDF，A4）",
        "wave_assign": "分配样本户",
        "wave_assign_user": "访问员（用户名；留空则取消分配）",
        "wave_assign_households": "样本户编号（用空格或逗号分隔）",
        "wave_assign_town": "或按镇街",
        "wave_assign_psu": "和/或村（社区）",
        "wave_assign_button": "分配",
        "wave_members": "成员",
        "wave_no_members": "还没有成员（管理员可以看到所有调查轮次）。",
        "wave_role": "角色",
        "wave_grant": "授予",
        "wave_remove": "移除",
        "wave_settings": "设置",
        "wave_settings_label": "实地设置（JSON；键：gps、selection、speeder_share、"
        "straightline_min_rows、partial_threshold、targets）",
        "wave_save_settings": "保存设置",
        "wave_invitations": "邀请",
        "wave_invite_count": "数量",
        "wave_invite_stratum": "层（选填）",
        "wave_invite_psu": "村（社区）（选填）",
        "wave_invite_town": "镇街（选填）",
        "wave_invite_button": "生成邀请链接",
        "wave_new_links": "新链接（只显示这一次）",
        "new_wave_name": "名称（字母、数字、- _ .）",
        "new_wave_bundled": "内置问卷文件",
        "new_wave_upload": "或上传 YAML 文件",
        "new_wave_year": "调查年份（默认取问卷中的年份）",
        "new_wave_opens": "开始日期（YYYY-MM-DD，选填）",
        "new_wave_closes": "结束日期（YYYY-MM-DD，选填）",
        "new_wave_learn": "提交后显示正确答案",
        "new_wave_open_recruitment": "公开招募（公开链接和二维码）",
        "new_wave_modes": "调查方式",
        "new_wave_create": "创建",
        "flash_wave_created": "已创建调查轮次 {name}（草稿）。",
        "flash_imported": "已向 {name} 导入 {count} 个样本户。",
        "flash_assigned": "已分配 {count} 个样本户。",
        "flash_recorded": "已记录：{code} {label}",
        "flash_selected": "已选出被访者：{label}（{eligible} 名合格成员中的 1 名）",
        "flash_reviewed": "答卷 {id}：{decision}。",
        "err_choose_questionnaire": "请选择一份内置问卷或上传问卷文件",
        "err_survey_year": "调查年份应为年份，例如 2025",
        "err_questionnaire_file": "问卷文件有问题，请修改后重新上传"
        "（可先用 kesu questionnaire validate 检查）：\n{problems}",
        "err_wave_name": "调查轮次名称只能用 1 到 64 个字母、数字或 - _ .",
        "err_wave_dates": "结束时间必须晚于开始时间",
        "err_wave_exists": "已经有名为“{name}”的调查轮次",
        "err_review_reason": "请填写理由（3 到 500 个字）",
        "err_date": "{field}不是日期（格式 YYYY-MM-DD）",
        "date_opens_at": "开始日期",
        "date_closes_at": "结束日期",
        "err_status": "状态只能是开放或关闭",
        "err_count": "数量必须是数字",
        "err_no_open_link": "本调查轮次没有公开链接。",
        "err_sample_file": "请选择样本文件（CSV、Excel .xlsx 或 Parquet）",
        "err_settings_json": "设置必须是一个 JSON 对象",
        "err_not_location": "位置数据无效",
        "err_role": "您的角色无权进行此操作。",
        "err_wave_role": "您在本调查轮次中的角色无权进行此操作。",
        "err_no_wave": "没有名为“{name}”的调查轮次。",
        "mon_title": "实地监控 · {wave}",
        "mon_heading": "实地监控：{wave}",
        "mon_back": "← 调查轮次",
        "mon_sampled": "样本户",
        "mon_completes": "已完成（样本 / 公开链接）",
        "mon_e": "合格率估计 e（用于 RR3）",
        "mon_speeder": "过快作答阈值",
        "mon_minutes": "{m} 分钟",
        "mon_speeder_rule": "（中位数的 {share} 倍）",
        "mon_category": "{label}（{code}）",
        "mon_outcomes": "AAPOR 结果",
        "mon_outcomes_caption": "按 AAPOR 类别统计的样本户（《标准定义》2023 版）",
        "mon_whole_wave": "全轮",
        "mon_by_town": "按镇街",
        "mon_by_interviewer": "按访问员",
        "mon_wave": "调查轮次",
        "mon_town": "镇街",
        "mon_interviewer": "访问员",
        "mon_cases": "样本户",
        "mon_completes_short": "已完成",
        "mon_target": "目标",
        "mon_rr": "应答率",
        "mon_coop": "合作率",
        "mon_ref": "拒访率",
        "mon_con": "接触率",
        "mon_median_minutes": "时长中位数（分钟）",
        "mon_targets": "完成数与目标",
        "mon_targets_caption": "镇街 × 重点人群（审核未通过的答卷不计）",
        "mon_group": "人群",
        "mon_all": "全部",
        "mon_flagged": "有质量标记的答卷",
        "mon_no_flagged": "没有带质量标记的答卷。",
        "mon_response": "答卷",
        "mon_minutes_col": "分钟",
        "mon_flags": "质量标记",
        "mon_review": "审核",
        "mon_decision": "审核决定",
        "mon_reason": "理由",
        "mon_accept": "通过",
        "mon_reject": "不通过",
        # display names of stored codes (the codes themselves do not change)
        "status_draft": "草稿",
        "status_open": "开放中",
        "status_closed": "已关闭",
        "role_admin": "管理员",
        "role_statistician": "统计人员",
        "role_interviewer": "访问员",
        "role_viewer": "查看者",
        "role_proctor": "监测员（教师）",
        "role_principal": "校长",
        # classroom sessions of the youth monitoring (survey/sessions.py)
        "class_home": "课堂测试",
        "class_join_title": "进入课堂测试",
        "class_join_intro": "请输入老师给的测试码和你的座位号。不用写名字。",
        "class_code": "测试码（6位）",
        "class_code_help": "老师写在黑板上或投在屏幕上，字母不分大小写。",
        "class_seat": "座位号",
        "class_seat_help": "按老师说的座位号填写，例如 12。",
        "class_join_button": "进入",
        "class_notice_link": "致家长和学校的告知书",
        "class_done_wait": "你已经交卷，谢谢！请安静等待老师结束本场测试，不要和同学讨论题目。",
        "class_waves": "课堂测试的调查轮次",
        "class_no_waves": "还没有可以查看的课堂测试。请联系管理员导入抽中的班级名单。",
        "class_list_title": "抽中的班级",
        "class_school": "学校",
        "class_class": "班级",
        "class_grade_class": "{grade}年级（{number}）班",
        "class_expected": "预计人数",
        "class_sessions": "测试场次",
        "class_open_button": "开始一场测试",
        "class_seats_label": "本班名单上的学生人数（座位数）",
        "class_minutes_label": "限时（分钟）",
        "class_no_classes": "你负责的学校在这一轮没有抽中的班级。",
        "class_sheets_link": "学校反馈单",
        "class_board_title": "测试进行中",
        "class_board_code": "测试码",
        "class_board_howto": "学生在电脑或平板上打开下面的网址（或扫二维码），"
        "输入测试码和自己的座位号。",
        "class_board_qr_alt": "进入本场测试的二维码",
        "class_board_time": "开始 {opened}，截止 {closes}（北京时间），还剩 {left} 分钟。",
        "class_board_closed_time": "开始 {opened}，结束 {closes}（北京时间）。",
        "class_board_refresh": "本页每 {seconds} 秒自动刷新。",
        "class_board_refresh_now": "立即刷新",
        "class_board_refresh_off": "停止自动刷新",
        "class_board_seats": "座位情况",
        "class_board_mark": "标记缺席或换机",
        "class_board_lock": "停止加入（已到齐）",
        "class_board_close": "结束本场测试",
        "class_board_close_note": "结束后，没有进入的座位记为缺席，没交卷的学生不能再答题。",
        "class_state_open": "进行中，可以加入",
        "class_state_locked": "进行中，已停止加入",
        "class_state_closed": "已结束",
        "seat_pending": "未进入",
        "seat_joined": "已进入",
        "seat_answering": "答题中",
        "seat_page": "第 {page}/{pages} 页",
        "seat_complete": "已交卷",
        "seat_released": "可换机重进",
        "seat_absent": "缺席",
        "seat_refused": "不参加",
        "seat_timeout": "超时未交卷",
        "class_seats_title": "标记座位",
        "class_seats_intro": "勾选座位后选择操作。缺席和不参加只能用于还没进入的座位；"
        "“换机”用于已进入的学生换一台电脑继续（已答的题会保留）。",
        "class_action_absent": "标记为缺席",
        "class_action_refused": "标记为不参加",
        "class_action_pending": "恢复为未进入",
        "class_action_release": "允许换机（原来的电脑不能再答）",
        "class_action_apply": "确定",
        "class_back_board": "返回座位情况",
        "class_seats_changed": "已更改 {count} 个座位。",
        "class_closed_flash": "本场测试已结束。",
        "class_sheets_title": "学校反馈单",
        "class_sheets_intro": "每所学校的反馈单只有本校校长能看到；人数少于10人的结果不显示。",
        "class_no_sheets": "还没有发布反馈单。",
        "class_sheet_download": "下载 PDF",
        "err_time_up": "本场测试的时间已到，答题已结束。已经保存的答案都会计入，谢谢你！",
        "err_class_not_found": "没有这个班级或测试场次，或者它不属于你负责的学校。",
        "err_seats_range": "座位数应为 1 到 {max}。",
        "err_minutes_range": "限时应为 {lo} 到 {hi} 分钟。",
        "err_whole_number": "请填写整数。",
        "err_session_running": "这个班还有一场没结束的测试，请先结束它。",
        "err_session_closed": "这场测试已经结束。",
        "err_code_format": "测试码是6位字母和数字，请看清楚再输入。",
        "err_seat_number": "座位号请填数字。",
        "err_code_unknown": "没有找到正在进行的这场测试。请检查测试码，或问老师。",
        "err_other_session": "这台电脑正在另一场测试中使用。请问老师。",
        "err_own_seat": "这台电脑已经用 {seat} 号座位进入了。请用 {seat} 号，或问老师。",
        "err_seat_range_join": "本场测试的座位号是 1 到 {max}，请检查。",
        "err_seat_taken": "这个座位号已经有人用了。请检查你的座位号，或请老师帮忙。",
        "err_session_locked": "老师已经停止加入。如果你还没进入，请举手告诉老师。",
        "err_no_sheet": "这所学校的反馈单还没有发布。",
        "notice_title": "致家长和学校的告知书：义乌市青少年科学素质监测",
        "notice_greeting": "尊敬的家长、各位校长和老师：",
        "notice_why_h": "为什么开展监测",
        "notice_why": "为落实义乌市全民科学素质行动（2021—2025年）中“实施科学教育质量评价和青少年"
        "科学素质监测评估”的要求，"
        "我们了解全市四年级和八年级学生的科学素质，用于改进科学教育。监测不评价、"
        "不排名任何一名学生、老师或学校，结果不计入学生成绩。",
        "notice_how_h": "怎样进行",
        "notice_how": "按科学方法随机抽取学校和班级。被抽中班级的学生在学校上课时间用电脑或平板答"
        "题，约40分钟，由老师在教室组织。"
        "题目包括科学知识、科学方法等测试题，以及关于阅读、科学活动、"
        "家庭情况和参观科技场馆的几道问题。校长和科学老师也会填写问卷。",
        "notice_what_h": "收集哪些信息",
        "notice_what": "我们不收集学生的姓名、学号、身份证号、电话号码和照片。"
        "学生只用老师给的测试码和自己的座位号进入，"
        "我们只记录答案、所在班级和座位号、每页用时和设备类型（电脑或平板）。"
        "座位号与学生的对应只留在班里，不交给监测单位。",
        "notice_protect_h": "怎样使用和保护",
        "notice_protect": "答案安全保存，只用于统计。公开的结果只是全市、镇街、年级等的汇总数字，"
        "少于10名学生的分组一律不报告；"
        "每所学校的结果只反馈给本校校长，不公开，不排名。",
        "notice_choice_h": "自愿参加",
        "notice_choice": "参加与否不影响学生的成绩和评价。学生可以不回答任何一道关于家庭情况的问题"
        "，也可以告诉老师不参加。"
        "如有疑问，或不希望孩子参加，请告诉班主任。",
        "notice_sign": "义乌市青少年科学素质监测工作组",
        "review_accepted": "通过",
        "review_rejected": "不通过",
        "response_partial": "部分完成",
        "response_complete": "已完成",
        "mode_web": "网络",
        "mode_capi": "面访（CAPI）",
        "mode_cati": "电话（CATI）",
        "mode_paper": "纸质问卷",
        "mode_class": "课堂测试",
        "selection_kish": "Kish 表",
        "selection_next_birthday": "下一个生日法",
        "selection_kish_serial": "Kish 表（按样本户序号）",
        "selection_kish_1949": "Kish 表（1949 年原表）",
        "flag_speeder": "过快作答",
        "flag_straightline": "直线作答",
        "flag_attention": "注意力题未通过",
        "flag_duplicate_device": "同一设备重复",
        "flag_duplicate_answers": "答案重复",
        "aapor_I": "完成访问",
        "aapor_P": "部分完成",
        "aapor_R": "拒访与中途退出",
        "aapor_NC": "未接触",
        "aapor_O": "其他未访",
        "aapor_UH": "资格不明（住户）",
        "aapor_UO": "资格不明（其他）",
        "aapor_NE": "不合格",
        # error pages (HTML; the JSON API keeps its English messages)
        "error_400": "请求有误",
        "error_403": "无权访问",
        "error_404": "找不到页面",
        "error_405": "不支持的请求方式",
        "error_409": "冲突",
        "error_413": "上传内容过大",
        "error_422": "内容需要修改",
        "error_429": "请求过于频繁",
        "error_500": "服务器出错",
        "error_503": "服务繁忙",
        "error_csrf": "表单已过期或缺少安全令牌（CSRF），请刷新页面后重试。",
        "error_busy": "系统繁忙，请稍后重试。",
        "error_server": "出了点问题，请稍后重试。",
        "error_not_found": "没有这个页面，请检查网址。",
        "error_method": "这个网址不接受这种请求。",
        "error_too_large": "上传的内容太大。",
        # anonymous waves, unit links and the duty of care (survey/anonymity.py, care.py)
        "app_short": "科素 · 调查",
        "privacy_anonymous_heading": "匿名调查。",
        "privacy_anonymous": "本调查不记录您的IP地址、手机或电脑的型号和浏览器信息，"
        "不在浏览器中保存任何长期标识，答题时间只精确到日期；链接按单位发放，不对应任何个人。"
        "任何人都无法从调查数据或服务器日志中知道哪份答卷是您填的。",
        "unit_title": "参加匿名调查",
        "unit_body": "这是本单位的匿名调查链接。点击下方按钮开始；每人只需填写一次，"
        "不会记录您的姓名、电话、IP地址或设备信息。",
        "unit_full_title": "本单位的填答已满",
        "unit_full_body": "本单位的答卷数量已达到名额，谢谢您的关心。如有疑问，请联系调查组织者。",
        "care_title": "请关心一下自己",
        "care_general_title": "需要帮助时",
        "care_general": "如果您近来情绪低落、压力很大，可以随时拨打下面的电话，和专业人员聊一聊。",
        "err_anonymous_wave": "这是匿名调查轮次：不能发放对应个人的邀请或导入样本，"
        "请使用单位链接。",
        "err_anonymous_modes": "匿名问卷只能通过单位链接在网上填答："
        "不能开启公开链接或访员调查方式。",
        "err_not_anonymous": "单位链接只用于匿名调查轮次。",
        "err_unit_code": "第 {row} 行：单位代码需要 1 到 64 个字母、数字或 - _ .。",
        "err_unit_label": "第 {row} 行：单位名称最多 128 个字。",
        "err_unit_quota": "第 {row} 行：名额必须是 1 到 100000 的整数。",
        "err_units_file": "单位文件需要 UTF-8 编码的 CSV，列为 unit、label、quota，至少一行。",
        "err_unit_twice": "这些单位出现了两次：{units}。",
        "wave_units": "单位链接（匿名）",
        "wave_units_note": "每个单位一个公开链接，达到名额后不再接受新的答卷。链接不对应任何个人。",
        "wave_units_file": "单位文件（CSV：unit, label, quota）",
        "wave_units_save": "保存单位",
        "wave_units_csv": "下载单位链接（CSV）",
        "col_unit": "单位",
        "col_quota": "名额",
        "col_started": "已开始",
        "col_link": "链接",
        "flash_units_saved": "已保存 {count} 个单位链接。",
        "err_nul": "“{field}”中不能有空字符（NUL）。",
        "err_field_too_long": "“{field}”最多 {length} 个字符。",
        "error_bad_value": "请求中有无法保存的内容（过长、过大或格式不对）。",
        "error_bad_input": "请求中含有不允许的字符（空字符或无效的 UTF-8）。",
        "dash_scope_title": "估计口径",
        "dash_scope_design": (
            "以下估计基于 {used} 份有抽样设计权数的完成问卷：权数 base_weight = 1/(prob1·prob"
            "2·prob3)，即各抽样阶段入样概率之积的倒数；按 stratum 分层，psu 为初级抽样单元，"
            "方差用泰勒线性化估计。"
        ),
        "dash_scope_unweighted": (
            "本轮没有一份完成问卷有抽样设计权数：以下为 {used} 份完成问卷的未加权估计（每份权"
            "数相同），只描述参加调查的人，不能代表总体。"
        ),
        "dash_scope_left_out": "另有 {n} 份完成问卷没有抽样设计权数，未计入以上估计：",
        "dash_left_open_link": "公开链接 {n} 份（非概率样本）",
        "dash_left_no_design": "无抽样设计的邀请链接 {n} 份",
        "dash_left_incomplete_design": "入样概率不全的样本户 {n} 份",
        "dash_left_literate": "这些问卷中具备科学素质的比例（未加权，只描述这些人）：{rate}%",
        "err_capi_interviewer": "这是入户面访问卷，只能由分配到这一户的访问员登录后填写。",
        "err_capi_start": "请从访问员的样本户页面开始这次面访。",
        "err_password_short": "密码至少需要 {n} 个字符。",
        "err_password_name": "密码不能包含用户名。",
        "err_password_common": "这是最常见的密码之一，请换一个。",
        "err_password_weak": "这个密码太容易被猜到，请用几个不相关的词或随机密码。",
        "err_login_slowdown": "这个账号连续登录失败次数过多，请 {seconds} 秒后再试。",
        "error_rate_limited": "请求过于频繁，请过一会儿再试（限制：{limit}）。",
        # -- issue 15 (i15b): the resident's invitation slip, the respondent pages --
        "slip_instruction": "请用手机微信“扫一扫”左边的二维码，填写问卷。",
        "slip_link": "或在浏览器中输入：",
        "slip_privacy": "调查不问姓名，回答只用于统计，个人信息严格保密。",
        "slip_household": "样本编号",
        "slip_town": "镇街",
        "colon": "：",
        "dash_computed_at": "以上数字计算于 {time}（北京时间），包含到那时为止的全部回答。",
        "dash_computed_stale": (
            "以上是 {time}（北京时间）计算的数字；之后有新的回答，正在重新计算，请稍后刷新页面。"
        ),
        "list_sep": "；",
        "comma": "，",
        "paren_open": "（",
        "paren_close": "）",
        "slip_all_towns": "全部镇街",
        "slip_all_modes": "也打印入户面访的样本户（默认只打印网络调查邀请）",
        "new_question_note": "根据您的回答，新出现了下面这道题。",
        "slip_none": (
            "没有可以打印的网络调查邀请（镇街：{town}）。入户面访的样本户不打印二维码；"
            "如需全部打印，请在地址后加 ?mode=all。"
        ),
    },
    "en": {
        "app_name": "Kesu · Civic Science Literacy Survey",
        "switch_language": "中文",
        "large_text_on": "Large text",
        "large_text_off": "Normal text",
        "consent_title": "About this survey",
        "consent_intro": "Thank you for taking part. Please read this first.",
        "privacy_heading": "What we collect and why",
        "privacy_default": "Your answers are used only for statistics; nothing personal is "
        "published.",
        "privacy_paradata": "To improve the questionnaire we also record the time spent on each "
        "page and the kind of device (phone, tablet or computer), not your IP address or "
        "device model. To spot duplicate answers your browser keeps a random number (a "
        "cookie) that says nothing about you.",
        "minutes": "It takes about {minutes} minutes.",
        "consent_agree": "I have read this and agree to take part",
        "start": "Start",
        "resume": "Continue",
        "page_of": "Page {page} of {pages}",
        "progress": "Progress",
        "next": "Next",
        "back": "Back",
        "submit": "Submit",
        "saved_note": "Your answers are saved on every page; come back with the same link "
        "at any time.",
        "required_mark": "(required)",
        "optional_mark": "(optional)",
        "choose_one": "Choose one",
        "choose_any": "Choose all that apply",
        "errors_heading": "{count} answer(s) need attention:",
        "err_required": "Please answer this question.",
        "err_new_question": "This question appeared because of your answers; please answer it.",
        "err_one_value": "Choose only one option.",
        "err_unknown_code": "'{code}' is not an option of this question; please choose again.",
        "err_duplicate": "The same option was chosen twice.",
        "err_exclusive": "'{label}' cannot be combined with other options.",
        "err_number": "Please enter a number.",
        "err_integer": "Please enter a whole number.",
        "err_min": "Must be at least {min}.",
        "err_max": "Must be at most {max}.",
        "err_too_long": "At most {max} characters; this has {length}.",
        "err_constraint": "This answer is not accepted; please check it.",
        "thanks_title": "Submitted. Thank you!",
        "thanks_body": "Your answers are safely stored.",
        "learn_link": "See the right answers and why",
        "learn_title": "Right answers and explanations",
        "dashboard_link": "Live results and PDF report",
        "learn_intro": "Here is the right answer to each test question. Enjoy learning!",
        "your_answer": "Your answer",
        "right_answer": "Right answer",
        "no_answer": "Not answered",
        "correct": "Right",
        "wrong": "Wrong",
        "closed_title": "Survey not open",
        "closed_body": "This survey is not open at the moment. Please ask your interviewer.",
        "open_title": "Take part",
        "open_body": "Press the button to start. Each resident answers once.",
        "already_title": "You have already taken part",
        "unit": "Unit: {unit}",
        "back_to_survey": "Back to the survey",
        "err_page_not_in_survey": "This page is not part of your questionnaire.",
        "sample_not_utf8": "Line {line}: the file is neither UTF-8 nor GB18030 (GBK) text; "
        "save it as CSV UTF-8 or as an Excel workbook (.xlsx).",
        "sample_blank_header": "Line 1: column {letter} has data but no name; name it in "
        "row 1 or delete it.",
        "sample_xls": "This is an old Excel 97-2003 file (.xls); save it as .xlsx or CSV UTF-8.",
        "sample_not_workbook": "The file cannot be read as an Excel workbook (.xlsx); save "
        "it again and upload it.",
        "sample_unreadable": "The file cannot be read: {detail}",
        "sample_town": "Line {line}, column 'town': '{got}' is not a town of the "
        "questionnaire (codes: {codes}; town names are accepted too).",
        "sample_empty": "The file is empty.",
        "sample_width": "Line {line}: {values} values for {columns} columns; check for a "
        "missing or an extra comma.",
        "sample_dup_column": "Line 1: column '{column}' appears twice.",
        "sample_missing_column": "Line 1: column '{column}' is missing; use the file written "
        "by kesu sample draw.",
        "sample_too_many": "More than {max} rows; split the file.",
        "sample_id": "Line {line}, column '{column}': an id of 1-64 characters is needed.",
        "sample_id_twice": "Line {line}, column '{column}': '{got}' is also on line {other}.",
        "sample_value": "Line {line}, column '{column}': a value of 1-64 characters is needed.",
        "sample_not_number": "Line {line}, column '{column}': '{got}' is not a number.",
        "sample_probability": "Line {line}, column '{column}': a probability must be in "
        "(0, 1]; got {got}.",
        "sample_positive": "Line {line}, column '{column}': must be > 0; got {got}.",
        "sample_whole": "Line {line}, column '{column}': must be a whole number >= 1; got '{got}'.",
        "sample_mode": "Line {line}, column 'mode': unknown mode '{got}' (one of {modes}).",
        "sample_no_rows": "The file has a header but no rows.",
        "sample_in_wave": "Line {line}, column '{column}': '{got}' is already in wave {wave}.",
        "sample_no_user": "Line {line}, column 'interviewer': no user '{got}'; create the "
        "account first.",
        "err_no_link": "We cannot find this survey link. Check that the whole link was "
        "copied, or ask your interviewer.",
        "err_consent_first": "Please read the survey notice and agree to take part first.",
        "err_form_stale": "This page is out of date. Go back to the survey and open the page "
        "again.",
        "err_page_not_reached": "Please answer the earlier questions first.",
        "err_learn_after_submit": "The answers are shown after you submit the questionnaire.",
        "err_learn_not_offered": "This survey does not show the answers.",
        "field_title": "My households",
        "field_none": "No households are assigned to you yet.",
        "field_logout": "Log out",
        "field_attempts_short": "{n} attempt(s)",
        "field_last": "last outcome {code}",
        "field_selected": "respondent {label}",
        "field_interview": "interview {status}",
        "field_back": "← My households",
        "field_town_psu": "Town / village",
        "field_wave": "Wave",
        "field_not_open": "This wave is not open.",
        "field_attempts": "Contact attempts",
        "field_no_attempts": "None yet.",
        "field_outcome": "Outcome (AAPOR code)",
        "field_note": "Note (no names or phone numbers)",
        "field_record": "Record",
        "field_roster": "Household roster and respondent selection",
        "field_privacy": "Privacy: only a nickname or initials, sex and age{birthday} are "
        "recorded: all that the selection needs; no full names, phone numbers, addresses or ID "
        "numbers.",
        "field_privacy_birthday": " and the birthday (month-day)",
        "field_rule": "Rule: {rule}",
        "field_nickname": "Nickname or initials",
        "field_sex": "Sex",
        "field_age": "Age",
        "field_birthday": "Birthday (MM-DD)",
        "field_male": "Male",
        "field_female": "Female",
        "field_select": "Select the respondent",
        "field_selected_mark": "✔ selected",
        "field_eligible": "{n} eligible, selection probability {p}",
        "field_interview_heading": "Interview",
        "field_complete": "The interview is complete.",
        "field_gps_consent": "The respondent agrees that the location of this interview is "
        "recorded",
        "field_start": "Start the interview",
        "field_resume": "Resume the interview",
        # -- staff pages (admin, statistician, viewer) --------------------------------------
        "staff_login_title": "Staff login",
        "staff_username": "Username",
        "staff_password": "Password",
        "staff_login": "Log in",
        "staff_login_failed": "Wrong username or password.",
        "staff_waves": "Waves",
        "staff_new_wave": "New wave",
        "staff_logout": "Log out ({user})",
        "waves_none": "No waves yet.",
        "waves_create_one": "Create one",
        "waves_caption": "Fieldwork rounds with their response counts",
        "col_name": "Name",
        "col_status": "Status",
        "col_questionnaire": "Questionnaire",
        "col_invitations": "Invitations",
        "col_partial": "Partial",
        "col_complete": "Complete",
        "wave_heading": "Wave {name}",
        "wave_survey_year": "Survey year",
        "wave_counts": "Invitations / partial / complete",
        "wave_your_role": "Your role",
        "wave_monitor_link": "Fieldwork monitor",
        "wave_exports": "Exports",
        "export_codebook_csv": "Codebook CSV",
        "export_codebook_pdf": "Codebook PDF",
        "export_cases": "Cases and dispositions (CSV)",
        "wave_close": "Close wave",
        "wave_open": "Open wave",
        "wave_open_link": "Open link",
        "wave_qr_alt": "QR code of the open link",
        "wave_sample": "Sample",
        "wave_sample_file": "Sample file (CSV, Excel .xlsx or Parquet)",
        "wave_sample_from": "made by",
        "wave_mode": "Mode",
        "wave_import": "Import",
        "wave_links_csv": "Invitation links (CSV)",
        "wave_qr_sheets": "QR code sheets (PDF, A4)",
        "wave_assign": "Assign cases",
        "wave_assign_user": "Interviewer (username; empty: unassign)",
        "wave_assign_households": "Household ids (space or comma separated)",
        "wave_assign_town": "or town",
        "wave_assign_psu": "and/or PSU",
        "wave_assign_button": "Assign",
        "wave_members": "Members",
        "wave_no_members": "No members yet (admins see every wave).",
        "wave_role": "Role",
        "wave_grant": "Grant",
        "wave_remove": "Remove",
        "wave_settings": "Settings",
        "wave_settings_label": "Fieldwork settings (JSON; gps, selection, speeder_share, "
        "straightline_min_rows, partial_threshold, targets)",
        "wave_save_settings": "Save settings",
        "wave_invitations": "Invitations",
        "wave_invite_count": "How many",
        "wave_invite_stratum": "Stratum (optional)",
        "wave_invite_psu": "PSU (optional)",
        "wave_invite_town": "Town (optional)",
        "wave_invite_button": "Create invitation links",
        "wave_new_links": "New links (shown once)",
        "new_wave_name": "Name (letters, digits, - _ .)",
        "new_wave_bundled": "Bundled file",
        "new_wave_upload": "or upload a YAML file",
        "new_wave_year": "Survey year (default: the questionnaire's)",
        "new_wave_opens": "Opens (YYYY-MM-DD, optional)",
        "new_wave_closes": "Closes (YYYY-MM-DD, optional)",
        "new_wave_learn": "Show right answers after submission",
        "new_wave_open_recruitment": "Open recruitment (a public link and QR code)",
        "new_wave_modes": "Modes",
        "new_wave_create": "Create",
        "flash_wave_created": "Wave {name} created (draft).",
        "flash_imported": "Imported {count} cases into {name}.",
        "flash_assigned": "{count} case(s) assigned.",
        "flash_recorded": "Recorded: {code} {label}",
        "flash_selected": "Selected: {label} (1 of {eligible} eligible)",
        "flash_reviewed": "Response {id}: {decision}.",
        "err_choose_questionnaire": "choose a bundled questionnaire or upload a file",
        "err_survey_year": "survey year must be a year such as 2025",
        "err_questionnaire_file": "the questionnaire file has problems; fix them (kesu "
        "questionnaire validate FILE) and upload again:\n{problems}",
        "err_wave_name": "a wave name is 1-64 letters, digits, '-', '_' or '.'",
        "err_wave_dates": "the wave must close after it opens",
        "err_wave_exists": "a wave named '{name}' exists already",
        "err_review_reason": "give a reason (3-500 characters)",
        "err_date": "{field}: not a date (YYYY-MM-DD)",
        "date_opens_at": "opens",
        "date_closes_at": "closes",
        "err_status": "status must be open or closed",
        "err_count": "count must be a number",
        "err_no_open_link": "This wave has no open link.",
        "err_sample_file": "choose a sample file (CSV, Excel .xlsx or Parquet)",
        "err_settings_json": "settings must be a JSON object",
        "err_not_location": "not a location",
        "err_role": "Your role does not allow this.",
        "err_wave_role": "Your role on this wave does not allow this.",
        "err_no_wave": "No wave named '{name}'.",
        "mon_title": "Monitor {wave}",
        "mon_heading": "Fieldwork monitor: {wave}",
        "mon_back": "← wave",
        "mon_sampled": "Sampled cases",
        "mon_completes": "Completes (sample / open link)",
        "mon_e": "Eligibility share e (RR3)",
        "mon_speeder": "Speeder threshold",
        "mon_minutes": "{m} min",
        "mon_speeder_rule": "({share} × median)",
        "mon_category": "{label} ({code})",
        "mon_outcomes": "AAPOR outcomes",
        "mon_outcomes_caption": "Cases by AAPOR category (Standard Definitions 2023)",
        "mon_whole_wave": "Whole wave",
        "mon_by_town": "By town",
        "mon_by_interviewer": "By interviewer",
        "mon_wave": "Wave",
        "mon_town": "Town",
        "mon_interviewer": "Interviewer",
        "mon_cases": "Cases",
        "mon_completes_short": "Completes",
        "mon_target": "Target",
        "mon_rr": "Response rate",
        "mon_coop": "Cooperation rate",
        "mon_ref": "Refusal rate",
        "mon_con": "Contact rate",
        "mon_median_minutes": "Median min",
        "mon_targets": "Completes against targets",
        "mon_targets_caption": "Town × key group (rejected responses not counted)",
        "mon_group": "Group",
        "mon_all": "all",
        "mon_flagged": "Flagged responses",
        "mon_no_flagged": "No flagged responses.",
        "mon_response": "Response",
        "mon_minutes_col": "Minutes",
        "mon_flags": "Flags",
        "mon_review": "Review",
        "mon_decision": "Decision",
        "mon_reason": "Reason",
        "mon_accept": "Accept",
        "mon_reject": "Reject",
        # display names of stored codes (the codes themselves do not change)
        "status_draft": "draft",
        "status_open": "open",
        "status_closed": "closed",
        "role_admin": "admin",
        "role_statistician": "statistician",
        "role_interviewer": "interviewer",
        "role_viewer": "viewer",
        "role_proctor": "proctor (teacher)",
        "role_principal": "principal",
        # classroom sessions of the youth monitoring (survey/sessions.py)
        "class_home": "Classroom sessions",
        "class_join_title": "Join the classroom session",
        "class_join_intro": "Enter the code your teacher gave and your seat number. Do not write "
        "your name.",
        "class_code": "Session code (6 characters)",
        "class_code_help": "Your teacher writes it on the board or the screen; upper or lower case "
        "is fine.",
        "class_seat": "Seat number",
        "class_seat_help": "The seat number your teacher told you, for example 12.",
        "class_join_button": "Join",
        "class_notice_link": "Notice for parents and schools",
        "class_done_wait": "You have handed in, thank you! Please wait quietly until your teacher "
        "ends the session, and do not discuss the questions.",
        "class_waves": "Survey rounds with classroom sessions",
        "class_no_waves": "No classroom sessions to show yet. Ask the administrator to import the "
        "sampled classes.",
        "class_list_title": "Sampled classes",
        "class_school": "School",
        "class_class": "Class",
        "class_grade_class": "Grade {grade}, class {number}",
        "class_expected": "Expected students",
        "class_sessions": "Sessions",
        "class_open_button": "Start a session",
        "class_seats_label": "Students on this class's list (seats)",
        "class_minutes_label": "Time limit (minutes)",
        "class_no_classes": "Your schools have no sampled class in this round.",
        "class_sheets_link": "School feedback sheets",
        "class_board_title": "Session in progress",
        "class_board_code": "Session code",
        "class_board_howto": "Students open the address below on a computer or tablet (or scan the "
        "QR code) and enter the code and their seat number.",
        "class_board_qr_alt": "QR code to join this session",
        "class_board_time": "Started {opened}, ends {closes} (Beijing time), {left} minutes left.",
        "class_board_closed_time": "Started {opened}, ended {closes} (Beijing time).",
        "class_board_refresh": "This page refreshes itself every {seconds} seconds.",
        "class_board_refresh_now": "Refresh now",
        "class_board_refresh_off": "Stop refreshing",
        "class_board_seats": "Seats",
        "class_board_mark": "Mark absentees or a change of computer",
        "class_board_lock": "Stop new joins (everyone is in)",
        "class_board_close": "End this session",
        "class_board_close_note": "When it ends, seats nobody joined count as absent and "
        "unfinished students can answer no more.",
        "class_state_open": "in progress, open to join",
        "class_state_locked": "in progress, no new joins",
        "class_state_closed": "ended",
        "seat_pending": "not joined",
        "seat_joined": "joined",
        "seat_answering": "answering",
        "seat_page": "page {page}/{pages}",
        "seat_complete": "handed in",
        "seat_released": "may rejoin on another computer",
        "seat_absent": "absent",
        "seat_refused": "not taking part",
        "seat_timeout": "out of time",
        "class_seats_title": "Mark seats",
        "class_seats_intro": "Tick seats, then choose an action. Absent and not taking part are "
        "only for seats nobody joined; a change of computer lets a student who joined continue "
        "elsewhere (answers are kept).",
        "class_action_absent": "Mark absent",
        "class_action_refused": "Mark not taking part",
        "class_action_pending": "Back to not joined",
        "class_action_release": "Allow a change of computer (the old one can no longer answer)",
        "class_action_apply": "Apply",
        "class_back_board": "Back to the seats",
        "class_seats_changed": "{count} seat(s) changed.",
        "class_closed_flash": "The session has ended.",
        "class_sheets_title": "School feedback sheets",
        "class_sheets_intro": "Each school's sheet is shown only to that school's principal; "
        "results for fewer than 10 students are not shown.",
        "class_no_sheets": "No feedback sheet has been published yet.",
        "class_sheet_download": "Download the PDF",
        "err_time_up": "The time for this session is up and answering has ended. Every answer "
        "saved so far counts. Thank you!",
        "err_class_not_found": "There is no such class or session, or it is not one of your "
        "schools.",
        "err_seats_range": "The number of seats must be 1 to {max}.",
        "err_minutes_range": "The time limit must be {lo} to {hi} minutes.",
        "err_whole_number": "Please enter a whole number.",
        "err_session_running": "This class has a session that has not ended; end it first.",
        "err_session_closed": "This session has ended.",
        "err_code_format": "The code has 6 letters and digits; please check it and type it again.",
        "err_seat_number": "Please enter the seat number in digits.",
        "err_code_unknown": "No session in progress has this code. Check the code or ask your "
        "teacher.",
        "err_other_session": "This computer is being used in another session. Please ask your "
        "teacher.",
        "err_own_seat": "This computer has already joined as seat {seat}. Use seat {seat}, or ask "
        "your teacher.",
        "err_seat_range_join": "Seats in this session are 1 to {max}; please check.",
        "err_seat_taken": "Someone is already using this seat number. Check your seat number or "
        "ask your teacher.",
        "err_session_locked": "Your teacher has stopped new joins. If you are not in yet, raise "
        "your hand.",
        "err_no_sheet": "This school's feedback sheet has not been published yet.",
        "notice_title": "Notice for parents and schools: Yiwu youth science-literacy monitoring",
        "notice_greeting": "Dear parents, principals and teachers,",
        "notice_why_h": "Why",
        "notice_why": "Yiwu's science-literacy plan (2021-2025) asks for an evaluation of science "
        "education and a "
        "monitoring of young people's science literacy. We measure the science literacy of grade-4 "
        "and grade-8 "
        "students to improve science education. No student, teacher or school is rated or ranked, "
        "and the "
        "results do not count towards any marks.",
        "notice_how_h": "How",
        "notice_how": "Schools and classes are chosen at random by a scientific method. The "
        "students of a chosen "
        "class answer on a computer or tablet during school time, for about 40 minutes, with their "
        "teacher in "
        "the room. There are science questions and a few questions about reading, science "
        "activities, home and "
        "visits to science venues. Principals and science teachers answer questionnaires too.",
        "notice_what_h": "What we collect",
        "notice_what": "We do not collect students' names, student numbers, ID numbers, phone "
        "numbers or photos. "
        "Students join with the code their teacher gives and their seat number; we record only the "
        "answers, the "
        "class and seat number, the time spent on each page and the kind of device. Which student "
        "sat in which "
        "seat stays in the class and is never given to us.",
        "notice_protect_h": "How the answers are used and protected",
        "notice_protect": "Answers are stored securely and used only for statistics. Published "
        "results are totals "
        "for the city, towns and grades; groups of fewer than 10 students are never reported. Each "
        "school's own "
        "results go only to its principal; they are not published and schools are not ranked.",
        "notice_choice_h": "Taking part is voluntary",
        "notice_choice": "Taking part or not has no effect on a student's marks. Students may skip "
        "any question "
        "about their home, or tell their teacher they do not want to take part. If you have "
        "questions, or do not "
        "want your child to take part, please tell the class teacher.",
        "notice_sign": "The Yiwu youth science-literacy monitoring team",
        "review_accepted": "accepted",
        "review_rejected": "rejected",
        "response_partial": "partial",
        "response_complete": "complete",
        "mode_web": "web",
        "mode_capi": "face to face (CAPI)",
        "mode_cati": "telephone (CATI)",
        "mode_paper": "paper",
        "mode_class": "classroom session",
        "selection_kish": "Kish grid",
        "selection_next_birthday": "next birthday",
        "selection_kish_serial": "Kish grid (household serial)",
        "selection_kish_1949": "Kish grid (1949 tables)",
        "flag_speeder": "speeder",
        "flag_straightline": "straightlining",
        "flag_attention": "attention check failed",
        "flag_duplicate_device": "duplicate device",
        "flag_duplicate_answers": "duplicate answers",
        "aapor_I": "Complete",
        "aapor_P": "Partial",
        "aapor_R": "Refusal and break-off",
        "aapor_NC": "Non-contact",
        "aapor_O": "Other non-interview",
        "aapor_UH": "Unknown if household",
        "aapor_UO": "Unknown, other",
        "aapor_NE": "Not eligible",
        # error pages (HTML; the JSON API keeps its English messages)
        "error_400": "Bad request",
        "error_403": "Forbidden",
        "error_404": "Not found",
        "error_405": "Method not allowed",
        "error_409": "Conflict",
        "error_413": "Upload too large",
        "error_422": "Needs attention",
        "error_429": "Too many requests",
        "error_500": "Internal server error",
        "error_503": "Service unavailable",
        "error_csrf": "{detail} Reload the page and try again.",
        "error_busy": "The survey is busy; please try again.",
        "error_server": "Something went wrong; please try again.",
        "error_not_found": "There is no such page; please check the address.",
        "error_method": "This address does not accept this kind of request.",
        "error_too_large": "The upload is too large.",
        # anonymous waves, unit links and the duty of care (survey/anonymity.py, care.py)
        "app_short": "Kesu · Survey",
        "privacy_anonymous_heading": "An anonymous survey.",
        "privacy_anonymous": "This survey does not record your IP address, your phone or "
        "computer model or your browser, keeps no lasting identifier in your browser and "
        "records the time of answering only to the day; links are handed out per unit and "
        "belong to no person. Nobody can tell from the survey data or the server logs which "
        "answers are yours.",
        "unit_title": "Take part in an anonymous survey",
        "unit_body": "This is your unit's anonymous survey link. Press the button to start; "
        "answer once only. Your name, phone number, IP address and device are not recorded.",
        "unit_full_title": "Your unit's answers are complete",
        "unit_full_body": "Your unit has sent as many answers as it has places. Thank you. "
        "Please contact the organisers with any question.",
        "care_title": "Please look after yourself",
        "care_general_title": "If you need help",
        "care_general": "If you have been feeling low or under heavy stress lately, you can call "
        "these lines at any time to talk with a professional.",
        "err_anonymous_wave": "This wave is anonymous: no personal invitations or sample "
        "imports; use unit links.",
        "err_anonymous_modes": "An anonymous questionnaire is answered on the web through unit "
        "links only: no open link, no interviewer modes.",
        "err_not_anonymous": "Unit links are for anonymous waves only.",
        "err_unit_code": "Row {row}: a unit code is 1-64 letters, digits, - _ or .",
        "err_unit_label": "Row {row}: a unit name has at most 128 characters.",
        "err_unit_quota": "Row {row}: the quota is a whole number from 1 to 100000.",
        "err_units_file": "The units file is a UTF-8 CSV with the columns unit, label, quota and "
        "at least one row.",
        "err_unit_twice": "These units are listed twice: {units}.",
        "wave_units": "Unit links (anonymous)",
        "wave_units_note": "One open link per unit; no new answers once the quota is reached. "
        "No link belongs to a person.",
        "wave_units_file": "Units file (CSV: unit, label, quota)",
        "wave_units_save": "Save units",
        "wave_units_csv": "Download the unit links (CSV)",
        "col_unit": "Unit",
        "col_quota": "Quota",
        "col_started": "Started",
        "col_link": "Link",
        "flash_units_saved": "{count} unit link(s) saved.",
        "err_nul": "{field}: NUL characters are not allowed.",
        "err_field_too_long": "{field}: at most {length} characters.",
        "error_bad_value": (
            "A value in the request cannot be stored (too long, too large or malformed)."
        ),
        "error_bad_input": (
            "The request contains characters that are not allowed (NUL or invalid UTF-8)."
        ),
        "dash_scope_title": "Which responses are estimated, and how",
        "dash_scope_design": (
            "The estimates use the {used} complete responses with a design weight: base_weigh"
            "t = 1/(prob1·prob2·prob3), the inverse of the product of the selection probabili"
            "ties of the sampling stages; strata stratum, primary sampling units psu, Taylor-"
            "linearised variances."
        ),
        "dash_scope_unweighted": (
            "No complete response of this wave has a design weight: the figures are unweighte"
            "d estimates from the {used} complete responses (equal weights); they describe on"
            "ly the people who took part, not the population."
        ),
        "dash_scope_left_out": (
            "{n} further complete response(s) have no design weight and are not in these estimates:"
        ),
        "dash_left_open_link": "open link: {n} (not a probability sample)",
        "dash_left_no_design": "invitations without a sample design: {n}",
        "dash_left_incomplete_design": "sampled cases with incomplete selection probabilities: {n}",
        "dash_left_literate": (
            "Share literate among them (unweighted; describes only these people): {rate}%"
        ),
        "err_capi_interviewer": (
            "This is a face-to-face interview: only the interviewer the household is assigned"
            " to can fill it in, logged in."
        ),
        "err_capi_start": "Start this interview from the interviewer's household page.",
        "err_password_short": "A password needs at least {n} characters.",
        "err_password_name": "A password must not contain the user name.",
        "err_password_common": "This is one of the most common passwords; choose another.",
        "err_password_weak": (
            "This password is too easy to guess; use several unrelated words or a random password."
        ),
        "err_login_slowdown": (
            "Too many failed logins for this account; try again in {seconds} seconds."
        ),
        "error_rate_limited": (
            "Too many requests; please wait a little and try again (limit: {limit})."
        ),
        # -- issue 15 (i15b): the resident's invitation slip, the respondent pages --
        "slip_instruction": "Scan the QR code on the left with your phone to answer the survey.",
        "slip_link": "Or type into a browser:",
        "slip_privacy": (
            "We do not ask your name; answers are used only for statistics and kept confidential."
        ),
        "slip_household": "Case",
        "slip_town": "Town",
        "colon": ": ",
        "dash_computed_at": (
            "Figures computed at {time} (Beijing time), with every answer until then."
        ),
        "dash_computed_stale": (
            "Figures computed at {time} (Beijing time); newer answers have come in and the"
            " figures are being computed again: reload the page in a moment."
        ),
        "list_sep": "; ",
        "comma": ", ",
        "paren_open": " (",
        "paren_close": ")",
        "slip_all_towns": "All towns",
        "slip_all_modes": "Also the face-to-face (CAPI) cases (default: web invitations only)",
        "new_question_note": "Because of your answer, the question below is new.",
        "slip_none": (
            "No web invitations to print (town: {town}). Face-to-face (CAPI) cases get no"
            " QR slip; add ?mode=all to the address to print them all."
        ),
    },
}


def normalize_language(value: str | None) -> str:
    """A supported language tag (default zh-CN)."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def translate(key: str, language: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The UI string ``key`` in ``language`` with ``{params}`` filled in.

    Raises:
        KeyError: for an unknown key (a programming error, caught by the tests).
    """
    table = MESSAGES.get(language, MESSAGES[DEFAULT_LANGUAGE])
    template = table.get(key) or MESSAGES[DEFAULT_LANGUAGE][key]
    return template.format(**params) if params else template


def code_label(kind: str, code: Any, language: str = DEFAULT_LANGUAGE) -> str:
    """The display name of a stored code, e.g. ``code_label("status", "open")`` -> 开放中.

    ``kind`` is the key prefix (status, role, review, response, mode, selection, flag,
    aapor). A code without a catalogue entry is shown as it is; ``None`` as "".
    """
    if code is None or code == "":
        return ""
    key = f"{kind}_{code}"
    if key not in MESSAGES[DEFAULT_LANGUAGE]:
        return str(code)
    return translate(key, language)


def disposition_label(code: Any, language: str = DEFAULT_LANGUAGE) -> str:
    """The name of an AAPOR disposition code in ``language`` ("" for an unknown code)."""
    labels = DISPOSITIONS.get(str(code)) if code is not None else None
    if labels is None:
        return ""
    return labels[0] if normalize_language(language) == "zh-CN" else labels[1]


def current_language() -> str:
    """The language of the current request (zh-CN outside a request).

    ``g.lang`` once the respondent blueprint's ``before_app_request`` has run; before it
    (a CSRF failure or a rate limit answered by an earlier hook) the session's choice.
    """
    if not has_app_context():
        return DEFAULT_LANGUAGE
    lang = g.get("lang")
    if lang is None and has_request_context():
        lang = session.get("lang")
    return normalize_language(lang)


def ui_text(key: str, **params: Any) -> str:
    """:func:`translate` into the language of the current request."""
    return translate(key, current_language(), **params)


def ui_label(kind: str, code: Any) -> str:
    """:func:`code_label` in the language of the current request."""
    return code_label(kind, code, current_language())


def ui_disposition(code: Any) -> str:
    """:func:`disposition_label` in the language of the current request."""
    return disposition_label(code, current_language())
