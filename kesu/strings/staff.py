"""The staff console's strings (wave page by task, its forms and their errors, wave
editing, copying and deleting, questionnaire preview), zh-CN and English.

One part of the one catalogue :mod:`kesu.i18n`. Errors are written for the person at the
form: what is wrong with what they typed and what to type instead.
"""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "cancel": "取消",
        "staff_form_errors": "有 {count} 处需要修改，见下方标红的字段。",
        "wave_tabs": "本轮调查的功能",
        "wave_tab_overview": "概况",
        "wave_tab_sample": "样本与邀请",
        "wave_tab_fieldwork": "实地执行",
        "wave_tab_team": "团队",
        "wave_tab_settings": "设置",
        "wave_tab_data": "数据",
        "wave_manage": "管理本轮调查",
        "wave_back": "返回本轮调查",
        "wave_preview": "预览问卷",
        "wave_close_confirm": "我确认关闭：关闭后受访者不能再作答（目前有 {n} 份未完成的问卷）",
        "err_confirm_close": "关闭调查前请先勾选上面的确认框。",
        "flash_wave_open": "调查“{name}”已开放。",
        "flash_wave_closed": "调查“{name}”已关闭，受访者不能再作答。",
        "wave_edit": "编辑本轮调查",
        "wave_edit_heading": "编辑调查：{name}",
        "wave_edit_save": "保存修改",
        "flash_wave_saved": "已保存对调查“{name}”的修改。",
        "err_wave_modes": "请至少选择一种调查方式。",
        "wave_duplicate": "复制为新一轮调查",
        "wave_duplicate_name": "新一轮调查的名称（字母、数字、-、_、.）",
        "wave_duplicate_note": "复制问卷、设置和团队成员；不复制样本、邀请和回答。"
        "新一轮为草稿状态。",
        "flash_wave_duplicated": "已将“{source}”复制为新一轮调查“{name}”（草稿）。",
        "err_admin_only": "只有系统管理员可以新建或复制调查。",
        "wave_delete": "删除本轮调查",
        "wave_delete_heading": "删除调查：{name}",
        "wave_delete_what": "将删除本轮调查及其 {invitations} 个邀请和样本户、团队成员和设置；"
        "目前有 {responses} 份回答。",
        "wave_delete_responses": "本轮调查已有 {n} 份回答，删除后无法恢复。如只想停止收"
        "集，请改为关闭调查。",
        "wave_delete_confirm": "我确认删除本轮调查",
        "wave_delete_type": "请再输入一次调查名称“{name}”以确认删除其全部回答",
        "err_confirm_delete": "删除前请先勾选确认框。",
        "err_delete_type_name": "输入的名称与“{name}”不一致，未删除。",
        "err_delete_has_responses": "本轮调查已有 {n} 份回答，需输入调查名称确认后才能删除。",
        "flash_wave_deleted": "已删除调查“{name}”（含 {n} 份回答）。",
        "wave_new_links_top": "刚生成的邀请链接",
        "wave_new_links_note": "刚生成的 {n} 个邀请链接。刷新本页不会再生成新链接；全"
        "部链接可随时下载。",
        "flash_invited": "已生成 {count} 个邀请链接，显示在下方。",
        "err_invite_count": "请填写 1 到 10000 之间的整数。",
        "wave_town_none": "（不指定）",
        "wave_town_any": "（不按镇街）",
        "err_town": "“{value}”不在问卷的镇街列表中，请从列表中选择。",
        "err_unknown_user": "没有名为“{user}”的用户。请检查拼写，或先在“用户”中添加。",
        "err_not_interviewer": "用户“{user}”不是访问员，只能把样本户分派给访问员。",
        "err_username_missing": "请填写用户名。",
        "err_assign_what": "请填写样本户编号，或选择镇街，或填写村（社区）编号。",
        "err_assigned_none": "没有符合条件、尚未完成访问的样本户，未改动任何样本户（0 户）。请检查"
        "镇街、村（社区）编号或样本户编号。",
        "err_text_long": "最多 {max} 个字。",
        "err_invite_stratum": (
            "层“{value}”不在本轮调查的样本中。样本中的层：{known}。不属于样本的邀请请不填层。"
        ),
        "err_invite_psu": (
            "村（社区）“{value}”不在本轮调查的样本中。样本中的编号：{known}。不属于样本的邀请请不填。"
        ),
        "err_assign_who": "请填写访问员的用户名；如要取消这些样本户的分配，请勾选“取消分配”。",
        "err_assign_or_unassign": "填写了访问员又勾选了“取消分配”：请只选一种。",
        "err_unknown_households": "本轮调查没有这 {count} 个样本户编号：{ids}。请检查后重新填写，"
        "未改动任何样本户。",
        "wave_members_change": "添加或移除成员",
        "err_member_role": "请从列表中选择角色。",
        "wave_choose_role": "请选择角色",
        "err_member_account": "“{user}”是{role}账号，只用于自己的学校或单位，不能加入调查团队。",
        "wave_remove_confirm": "我确认移除该用户在本轮调查中的角色",
        "err_confirm_remove": "移除“{user}”前请先勾选确认框。",
        "flash_member_granted": "已授予用户“{user}”本轮调查的角色：{role}。",
        "flash_member_removed": "已移除用户“{user}”在本轮调查中的角色。",
        "set_group_capi": "入户访问",
        "set_gps": "开始面访时记录平板位置（需征得受访者同意）",
        "set_selection": "户内抽选成人的方法",
        "set_anonymous": "匿名调查（只用单位链接，不记录IP和设备；有回答后不能更改）",
        "set_group_quality": "数据质量",
        "set_speeder_share": "答题过快的界限（占中位用时的比例）",
        "set_speeder_share_note": "0 到 1 之间的小数，如 0.333 表示用时不到中位数的三分之一。",
        "set_straightline": "直线作答检查的最少行数（矩阵题）",
        "set_partial_threshold": "部分完成的界限（已答题目的比例）",
        "set_partial_threshold_note": "0 到 1 之间的小数；低于此比例的未完成问卷记为中途退出。",
        "set_targets": "各镇街目标完成数",
        "set_targets_note": "空白表示以该镇街的样本户数为目标。",
        "set_help": "求助热线（心理关怀提示中显示）",
        "set_help_note": "空白表示使用问卷自带的热线。整行留空即删除该行。",
        "set_help_name": "名称（中文）",
        "set_help_name_en": "名称（英文，选填）",
        "set_help_phone": "电话",
        "set_help_hours": "服务时间（选填）",
        "err_setting_choice": "请从列表中选择。",
        "err_setting_share": "“{value}”不是 0 到 1 之间的小数（如 0.333）。",
        "err_setting_rows": "“{value}”不是 2 到 100 之间的整数。",
        "err_setting_target": "“{value}”不是大于或等于 0 的整数。",
        "err_setting_help_name": "请填写热线名称。",
        "err_setting_phone": "“{value}”不是电话号码（只能有数字、空格、-、+）。",
        "flash_settings_saved": "设置已保存。",
        "flash_settings_unchanged": "设置没有变化。",
        "preview_title": "问卷预览",
        "preview_banner": "预览模式：",
        "preview_banner_note": "可以像受访者一样逐页作答（含跳题和检查），但不会保存任何回答。",
        "preview_next": "完成预览",
        "preview_restart": "重新开始预览",
        "preview_done": "预览结束",
        "preview_done_note": "已走完问卷的全部页面（共回答 {n} 个变量），没有保存任何内容。",
        "err_preview_state": "预览数据已损坏或已过期，请重新开始预览。",
        "landing_title": "正在进行的调查",
        "landing_intro": "如果您收到了调查邀请，请打开邀请中的链接或扫描二维码。以下调查目前开放"
        "，任何人都可以参加：",
        "landing_take": "参加“{title}”",
        "landing_staff": "工作人员登录",
        "field_psu_code": "村（社区）编号 {code}",
        "err_report_no_data": "这一轮调查还没有完成的问卷，暂时不能生成PDF报告。"
        "有完成的问卷后再下载。",
        "err_export_format": "没有“{fmt}”这种导出格式，请从下面的列表中选择。",
        "err_roster_label": "第 {line} 行：请填写称呼或姓名首字母（1-16 个字）。",
        "err_roster_sex": "第 {line} 行：请选择性别。",
        "err_roster_age": "第 {line} 行：年龄“{value}”不对，应为 0 到 120 之间的整数。",
        "err_roster_empty": "请先填写家庭成员。",
        "err_roster_same_label": "每位成员的称呼不能相同。",
        "err_roster_no_adult": "家中没有 {low} 到 {high} 岁的成员，不能抽选受访者。"
        "请核对年龄；如确实没有，请记录结果“4.70 家中无合格成员”。",
        "err_roster_other": "无法完成户内抽选：{detail}",
    },
    "en": {
        "cancel": "Cancel",
        "staff_form_errors": "{count} thing(s) to correct: see the fields marked in red below.",
        "wave_tabs": "Wave tasks",
        "wave_tab_overview": "Overview",
        "wave_tab_sample": "Sample and invitations",
        "wave_tab_fieldwork": "Fieldwork",
        "wave_tab_team": "Team",
        "wave_tab_settings": "Settings",
        "wave_tab_data": "Data",
        "wave_manage": "Manage this wave",
        "wave_back": "Back to the wave",
        "wave_preview": "Preview the questionnaire",
        "wave_close_confirm": "I confirm closing: respondents can no longer answer "
        "({n} responses are still unfinished)",
        "err_confirm_close": "Tick the confirmation box above before closing the wave.",
        "flash_wave_open": 'Wave "{name}" is open.',
        "flash_wave_closed": 'Wave "{name}" is closed; respondents can no longer answer.',
        "wave_edit": "Edit this wave",
        "wave_edit_heading": "Edit wave: {name}",
        "wave_edit_save": "Save changes",
        "flash_wave_saved": 'Changes to wave "{name}" saved.',
        "err_wave_modes": "Choose at least one survey mode.",
        "wave_duplicate": "Copy as a new wave",
        "wave_duplicate_name": "Name of the new wave (letters, digits, -, _, .)",
        "wave_duplicate_note": "Copies the questionnaire, the settings and the team; not the "
        "sample, invitations or responses. The new wave is a draft.",
        "flash_wave_duplicated": '"{source}" copied as the new wave "{name}" (draft).',
        "err_admin_only": "Only administrators can create or copy waves.",
        "wave_delete": "Delete this wave",
        "wave_delete_heading": "Delete wave: {name}",
        "wave_delete_what": "This deletes the wave with its {invitations} invitations and "
        "cases, its team and its settings; it holds {responses} responses.",
        "wave_delete_responses": "This wave holds {n} responses; they cannot be recovered "
        "after deletion. To stop collecting, close the wave instead.",
        "wave_delete_confirm": "I confirm deleting this wave",
        "wave_delete_type": 'Type the wave\'s name "{name}" again to confirm deleting all its '
        "responses",
        "err_confirm_delete": "Tick the confirmation box before deleting.",
        "err_delete_type_name": 'The name typed is not "{name}"; nothing was deleted.',
        "err_delete_has_responses": "This wave holds {n} responses: type its name to confirm "
        "before deleting it.",
        "flash_wave_deleted": 'Wave "{name}" deleted (with {n} responses).',
        "wave_new_links_top": "Invitation links just created",
        "wave_new_links_note": "The {n} invitation links just created. Reloading this page "
        "creates no more; all links can be downloaded at any time.",
        "flash_invited": "{count} invitation link(s) created, listed below.",
        "err_invite_count": "Enter a whole number from 1 to 10000.",
        "wave_town_none": "(none)",
        "wave_town_any": "(any town)",
        "err_town": '"{value}" is not on the questionnaire\'s list of towns; choose one '
        "from the list.",
        "err_unknown_user": 'There is no user called "{user}". Check the spelling, or add '
        "the user first.",
        "err_not_interviewer": 'User "{user}" is not an interviewer; cases are assigned to '
        "interviewers only.",
        "err_username_missing": "Enter a user name.",
        "err_assign_what": "Enter household ids, or choose a town, or enter a village "
        "(community) code.",
        "err_assigned_none": "No case that is not completed matches: nothing was changed (0 "
        "cases). Check the town, the village code or the household ids.",
        "err_text_long": "At most {max} characters.",
        "err_invite_stratum": (
            'The stratum "{value}" is not in this wave\'s sample ({known}). Leave it empty for '
            "invitations outside the sample."
        ),
        "err_invite_psu": (
            'The PSU "{value}" is not in this wave\'s sample ({known}). Leave it empty for '
            "invitations outside the sample."
        ),
        "err_assign_who": "Enter the interviewer's username; to unassign these cases, tick "
        "'Unassign'.",
        "err_assign_or_unassign": "An interviewer is entered and 'Unassign' is ticked: choose one.",
        "err_unknown_households": "This wave has no household with these {count} id(s): {ids}. "
        "Check them and try again; nothing was changed.",
        "wave_members_change": "Add or remove a member",
        "err_member_role": "Choose a role from the list.",
        "wave_choose_role": "Choose a role",
        "err_member_account": '"{user}" is a {role} account, for its own school or unit only; it '
        "cannot join a wave's team.",
        "wave_remove_confirm": "I confirm removing this user's role on the wave",
        "err_confirm_remove": 'Tick the confirmation box before removing "{user}".',
        "flash_member_granted": 'User "{user}" now has the role {role} on this wave.',
        "flash_member_removed": 'User "{user}" no longer has a role on this wave.',
        "set_group_capi": "Face-to-face interviews",
        "set_gps": "Record the tablet's location when an interview starts (with the "
        "respondent's consent)",
        "set_selection": "How the adult in a household is selected",
        "set_anonymous": "Anonymous wave (unit links only, no IP or device data; cannot be "
        "changed once responses exist)",
        "set_group_quality": "Data quality",
        "set_speeder_share": "Speeding threshold (share of the median time)",
        "set_speeder_share_note": "A decimal between 0 and 1; 0.333 flags responses faster "
        "than a third of the median time.",
        "set_straightline": "Fewest grid rows for the straight-lining check",
        "set_partial_threshold": "Partial-interview threshold (share of questions answered)",
        "set_partial_threshold_note": "A decimal between 0 and 1; unfinished responses "
        "below it count as break-offs.",
        "set_targets": "Completes wanted per town",
        "set_targets_note": "Blank: the town's number of sampled cases.",
        "set_help": "Help lines (shown in the duty-of-care message)",
        "set_help_note": "Blank: the questionnaire's own help lines. Clear a whole line to "
        "delete it.",
        "set_help_name": "Name (Chinese)",
        "set_help_name_en": "Name (English, optional)",
        "set_help_phone": "Telephone",
        "set_help_hours": "Hours (optional)",
        "err_setting_choice": "Choose from the list.",
        "err_setting_share": '"{value}" is not a decimal between 0 and 1 (such as 0.333).',
        "err_setting_rows": '"{value}" is not a whole number from 2 to 100.',
        "err_setting_target": '"{value}" is not a whole number of 0 or more.',
        "err_setting_help_name": "Enter the help line's name.",
        "err_setting_phone": "\"{value}\" is not a telephone number (digits, spaces, '-', '+').",
        "flash_settings_saved": "Settings saved.",
        "flash_settings_unchanged": "The settings did not change.",
        "preview_title": "Questionnaire preview",
        "preview_banner": "Preview:",
        "preview_banner_note": "answer page by page as a respondent would (skip logic and "
        "checks included); nothing is stored.",
        "preview_next": "Finish the preview",
        "preview_restart": "Start the preview again",
        "preview_done": "End of the preview",
        "preview_done_note": "You went through every page of the questionnaire ({n} "
        "variables answered); nothing was stored.",
        "err_preview_state": "The preview's data is damaged or out of date; start the "
        "preview again.",
        "landing_title": "Surveys in progress",
        "landing_intro": "If you received an invitation, open its link or scan its QR code. "
        "These surveys are open to everyone now:",
        "landing_take": 'Take part in "{title}"',
        "landing_staff": "Staff login",
        "field_psu_code": "village (community) code {code}",
        "err_report_no_data": "This wave has no complete response yet, so there is no PDF "
        "report to make. Download it once responses are complete.",
        "err_export_format": 'There is no export format "{fmt}"; choose one from the list below.',
        "err_roster_label": "Line {line}: enter a nickname or initials (1-16 characters).",
        "err_roster_sex": "Line {line}: choose the sex.",
        "err_roster_age": 'Line {line}: the age "{value}" is wrong; enter a whole number '
        "from 0 to 120.",
        "err_roster_empty": "List the household members first.",
        "err_roster_same_label": "Give each member a different nickname.",
        "err_roster_no_adult": "Nobody in the household is {low} to {high} years old, so no "
        'respondent can be selected. Check the ages; if so, record the outcome "4.70 No '
        'eligible respondent".',
        "err_roster_other": "The selection could not be made: {detail}",
    },
}
