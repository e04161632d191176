"""The user-interface strings of the web survey, in Simplified Chinese and English.

Questionnaire texts come from the questionnaire file; everything else a respondent or an
administrator reads is here, so a translation is one dict. Missing English strings fall
back to Chinese (the default language).
"""

from __future__ import annotations

import logging
from typing import Any

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
