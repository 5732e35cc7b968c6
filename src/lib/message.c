/* The one table of messages: id -> English, Chinese; rendering problems in a language;
 * the language of an Accept-Language header or a locale. */
#include "stdtax/message.h"
#include "stdtax/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define M(ident, name, en, zh) [ident] = {name, {en, zh}}

static const struct msg messages[] = {
    M(MSG_NONE, "none", "no problem", "没有问题"),
    M(MSG_NOT_OBJECT, "not-object", "a proposal must be a JSON object",
      "建议书必须是一个 JSON 对象"),
    M(MSG_TYPE_STRING, "type-string", "must be a string", "必须是字符串"),
    M(MSG_TYPE_DATE, "type-date", "must be a date string YYYY-MM-DD",
      "必须是 YYYY-MM-DD 格式的日期字符串"),
    M(MSG_TYPE_NUMBER, "type-number", "must be a number", "必须是数字"),
    M(MSG_TYPE_ARRAY, "type-array", "must be an array of strings", "必须是字符串数组"),
    M(MSG_TYPE_OBJECT, "type-object", "must be an object", "必须是对象"),
    M(MSG_TEXT_UTF8, "text-utf8", "is not valid UTF-8", "不是有效的 UTF-8 文本"),
    M(MSG_TEXT_NUL, "text-nul", "holds a NUL character", "含有 NUL 字符"),
    M(MSG_TEXT_CONTROL, "text-control", "holds a control character", "含有控制字符"),
    M(MSG_LINE_CONTROL, "line-control", "holds a control character or line break",
      "含有控制字符或换行（此栏只能填一行）"),
    M(MSG_EMPTY, "empty", "must not be empty", "不能为空"),
    M(MSG_TOO_LONG_CHARS, "too-long-chars", "too long: %s characters, at most %s",
      "过长：%s 个字符，最多 %s 个"),
    M(MSG_TOO_LONG_BYTES, "too-long-bytes", "too long: %s bytes of UTF-8, at most %s",
      "过长：UTF-8 编码 %s 字节，最多 %s 字节"),
    M(MSG_TOO_MANY_ITEMS, "too-many-items", "too many items: %s, at most %s",
      "项目过多：%s 项，最多 %s 项"),
    M(MSG_REPEATED_ITEM, "repeated-item", "repeats item %s",
      "与第 %s 项重复（从 0 起计）"),
    M(MSG_ENUM, "enum", "must be one of %s", "必须是以下之一：%s"),
    M(MSG_NUMBER_RANGE, "number-range", "must be between %s and %s",
      "必须在 %s 与 %s 之间"),
    M(MSG_DATE, "date", "must be a real date written YYYY-MM-DD",
      "必须是按 YYYY-MM-DD 书写的真实日期"),
    M(MSG_UNKNOWN_FIELD, "unknown-field", "unknown field", "未知字段"),
    M(MSG_OTHER_FORM_LOCAL, "other-form-local", "not part of the local form",
      "不属于地方标准建议书（附件3）"),
    M(MSG_OTHER_FORM_GROUP, "other-form-group", "not part of the group form",
      "不属于团体标准建议书（附件4）"),
    M(MSG_REQUIRED, "required", "required", "必填"),
    M(MSG_LIST_CUT, "list-cut", "more than %s problems; list cut",
      "问题超过 %s 个，其余未列出"),
    M(MSG_EMAIL_FORMAT, "email-format", "is not an e-mail address (local@domain.tld)",
      "不是电子邮箱地址（用户名@域名.后缀）"),
    M(MSG_EMAIL_LOCAL_LENGTH, "email-local-length",
      "e-mail local part must have 1 to 64 characters",
      "邮箱 @ 之前的部分须为 1 至 64 个字符"),
    M(MSG_EMAIL_LOCAL_CHAR, "email-local-char",
      "e-mail local part holds a character that is not allowed",
      "邮箱 @ 之前的部分含有不允许的字符"),
    M(MSG_EMAIL_LOCAL_DOT, "email-local-dot", "e-mail local part has a misplaced dot",
      "邮箱 @ 之前的部分中句点位置不正确"),
    M(MSG_EMAIL_DOMAIN, "email-domain",
      "e-mail domain must be a domain name like example.cn",
      "邮箱域名须为 example.cn 这样的域名"),
    M(MSG_EMAIL_DOMAIN_CHAR, "email-domain-char",
      "e-mail domain holds a character that is not allowed", "邮箱域名含有不允许的字符"),
    M(MSG_EMAIL_DOMAIN_LABEL, "email-domain-label",
      "e-mail domain has an empty or too long label", "邮箱域名中有空的或过长的部分"),
    M(MSG_EMAIL_DOMAIN_HYPHEN, "email-domain-hyphen",
      "e-mail domain label starts or ends with '-'", "邮箱域名的某一部分以“-”开头或结尾"),
    M(MSG_EMAIL_TLD, "email-tld",
      "e-mail domain must end in a top-level domain like .cn or .com",
      "邮箱域名须以 .cn 或 .com 这样的顶级域名结尾"),
    M(MSG_EMAIL_NO_TLD, "email-no-tld",
      "e-mail domain must have a top-level domain (domain.tld)",
      "邮箱域名须带顶级域名（域名.后缀）"),
    M(MSG_PHONE_CHAR, "phone-char",
      "phone number may hold only digits, '+', '-', spaces, parentheses and an "
      "extension (转, ext, x)",
      "电话号码只能含数字、“+”、“-”、空格、括号和分机号（转、ext、x）"),
    M(MSG_PHONE_PLUS, "phone-plus", "phone number: '+' only in front",
      "电话号码：“+”只能在最前面"),
    M(MSG_PHONE_PARENS, "phone-parens", "phone number: unbalanced or nested parentheses",
      "电话号码：括号不成对或有嵌套"),
    M(MSG_PHONE_DIGITS, "phone-digits", "phone number must have 7 to 20 digits",
      "电话号码须有 7 至 20 位数字"),
    M(MSG_PHONE_EXTENSION, "phone-extension",
      "phone extension must be 1 to 8 digits after the number",
      "分机号须在号码之后，为 1 至 8 位数字"),
    M(MSG_ICS, "ics", "ICS code must look like 35, 35.240 or 35.240.01",
      "ICS 分类号须形如 35、35.240 或 35.240.01"),
    M(MSG_CCS, "ccs",
      "CCS code must be a class letter (A-Z without I and O) and two digits, e.g. L70",
      "中国标准分类号须为一个大类字母（A-Z，不含 I 和 O）加两位数字，例如 L70"),
    M(MSG_CREDIT_CODE_FORM, "credit-code-form",
      "unified social credit code (GB 32100) must be 18 characters of 0-9 and A-Y "
      "without I, O, S, V, Z, characters 3 to 8 digits",
      "统一社会信用代码（GB 32100）须为 18 位，由 0-9 和除 I、O、S、V、Z 以外的 A-Y "
      "组成，第 3 至 8 位为数字"),
    M(MSG_CREDIT_CODE_CHECK, "credit-code-check",
      "unified social credit code: the check character (the 18th) is wrong",
      "统一社会信用代码：校验码（第 18 位）不正确"),
    M(MSG_CREDIT_CODE_SHANGHAI, "credit-code-shanghai",
      "the call is for units registered in Shanghai: characters 3 to 8 of the credit "
      "code (the registration authority's division) must begin with 31",
      "本次征集面向在上海注册的单位：统一社会信用代码第 3 至 8 "
      "位（登记管理机关行政区划码）"
      "须以 31 开头"),
    M(MSG_CALL_ID_LENGTH, "call-id-length", "call id must have 1 to 31 characters",
      "征集批次须为 1 至 31 个字符"),
    M(MSG_CALL_ID_CHAR, "call-id-char",
      "call id may hold only ASCII letters, digits, '.', '_' and '-'",
      "征集批次只能含 ASCII 字母、数字、“.”、“_”和“-”"),
    M(MSG_CALL_UNKNOWN, "call-unknown", "unknown call; known: %s",
      "未知的征集批次；已知批次：%s"),
    M(MSG_CALL_UNKNOWN_NONE, "call-unknown-none", "unknown call; known: none",
      "未知的征集批次；目前没有征集批次"),
    M(MSG_END_BEFORE_START, "end-before-start", "must be after planned_start (%s)",
      "须晚于计划开始日期（%s）"),
    M(MSG_REVISION_NEEDS_REPLACES, "revision-needs-replaces",
      "required for a revision: the number of the standard revised",
      "修订项目必填：被修订（代替）的标准号"),
    M(MSG_NEW_REFUSES_REPLACES, "new-refuses-replaces",
      "only for a revision (kind is new)", "只有修订项目才填（本项目为制定）"),
    M(MSG_MANDATORY_NEEDS, "mandatory-needs", "required for a mandatory standard",
      "强制性标准必填（填表说明第1条）"),
    M(MSG_CONTACT_PHONE_OR_EMAIL, "contact-phone-or-email",
      "needs a phone number or an e-mail address (联系方式)",
      "联系方式须填写电话号码或电子邮箱，至少一项"),
    M(MSG_SECONDING_LEAD, "seconding-lead",
      "the lead unit cannot second its own proposal", "牵头单位不能附议自己的建议"),
    M(MSG_SECONDING_COUNT, "seconding-count",
      "at least 3 distinct seconding units other than the lead unit (附议单位 至少3家); "
      "%s given",
      "附议单位至少3家（不同的、牵头单位以外的单位）；现有 %s 家"),
    M(MSG_ADOPTION_TITLE, "adoption-title",
      "an adopted standard needs its title: title_zh or title_en",
      "采用国际标准须填写其名称（中文或英文）"),
    M(MSG_CSV_CELLS, "csv-cells", "line %s has %s cells, the header has %s",
      "第 %s 行有 %s 个单元格，表头有 %s 个"),
    M(MSG_CSV_UNKNOWN_COLUMN, "csv-unknown-column", "unknown column", "未知的列"),
    M(MSG_CSV_COLUMN_TWICE, "csv-column-twice", "column %s given twice",
      "列“%s”出现了两次"),
    M(MSG_CSV_UNKNOWN_VALUE, "csv-unknown-value", "unknown value", "未知的取值"),
    M(MSG_CSV_NOT_NUMBER, "csv-not-number", "is not a number", "不是数字"),
    M(MSG_TITLE_UNPARSABLE, "problem-unparsable", "Unparsable request", "无法解析的请求"),
    M(MSG_TITLE_INVALID_UTF8, "problem-invalid-utf8", "Text is not valid UTF-8",
      "文本不是有效的 UTF-8"),
    M(MSG_TITLE_UNAUTHORIZED, "problem-unauthorized", "Missing or unknown bearer token",
      "缺少令牌或令牌无效"),
    M(MSG_TITLE_FORBIDDEN, "problem-forbidden", "Token lacks the scope for this action",
      "令牌没有执行此操作的权限"),
    M(MSG_TITLE_NOT_FOUND, "problem-not-found", "Not found", "未找到"),
    M(MSG_TITLE_METHOD, "problem-method-not-allowed", "Method not allowed",
      "不允许的请求方法"),
    M(MSG_TITLE_NOT_ACCEPTABLE, "problem-not-acceptable", "No acceptable representation",
      "没有可接受的表示形式"),
    M(MSG_TITLE_CONFLICT, "problem-conflict", "Conflict with the current state",
      "与当前状态冲突"),
    M(MSG_TITLE_TOO_LARGE, "problem-too-large", "Request too large", "请求过大"),
    M(MSG_TITLE_URI_TOO_LONG, "problem-uri-too-long", "Request target too long",
      "请求地址过长"),
    M(MSG_TITLE_MEDIA_TYPE, "problem-unsupported-media-type",
      "Body must be application/json", "请求正文必须是 application/json"),
    M(MSG_TITLE_INVALID, "problem-invalid", "Invalid content", "内容不符合要求"),
    M(MSG_TITLE_EMPTY_TEXT, "problem-empty-text", "Text is empty", "文本为空"),
    M(MSG_TITLE_LATE, "problem-late", "Submitted after the deadline of its track",
      "已过该类标准的申报截止时间"),
    M(MSG_TITLE_TOO_MANY, "problem-too-many", "Too many requests or items",
      "请求或项目过多"),
    M(MSG_TITLE_NOMEM, "problem-internal-nomem", "Out of memory", "内存不足"),
    M(MSG_TITLE_IO, "problem-internal-io", "Input/output error", "输入输出错误"),
    M(MSG_TITLE_STORE, "problem-store", "Store error", "存储错误"),
    M(MSG_TITLE_VERSION, "problem-version", "Data of another schema version",
      "数据属于另一个格式版本"),
    M(MSG_TITLE_INTERNAL, "problem-internal", "Internal error", "内部错误"),
    M(MSG_TITLE_UNAVAILABLE, "problem-unavailable", "Service unavailable",
      "服务暂不可用"),
    M(MSG_TITLE_NO_SPACE, "problem-no-space", "No space left for the store",
      "存储空间已满"),
    /* Texts the daemon and the service write in English (details, error texts), found
     * by matching them against the English format (msg_translate). */
    {"detail-batch-item-shape",
     {"must be an object {\"items\": [...]}", "必须是 {\"items\": [...]} 形式的对象"}},
    {"detail-csv-no-cursor",
     {"cursor and limit do not apply to the CSV export",
      "cursor 和 limit 不适用于 CSV 导出"}},
    {"detail-csv-every-row",
     {"cursor and limit page JSON; a CSV export has every row",
      "cursor 和 limit 用于 JSON 分页；CSV 导出包含全部行"}},
    {"detail-dashboard-unreadable",
     {"the dashboard file cannot be read", "无法读取看板文件"}},
    {"detail-dashboard-changed",
     {"the dashboard file changed while being read", "读取看板文件时文件发生了变化"}},
    {"detail-openapi-line", {"line %d column %d: %s", "第 %d 行第 %d 列：%s"}},
    {"detail-openapi-shape",
     {"not an OpenAPI document (no \"openapi\" and \"paths\")",
      "不是 OpenAPI 文档（没有 \"openapi\" 和 \"paths\"）"}},
    {"detail-metrics",
     {"the application could not report its metrics", "应用无法报告其运行指标"}},
    {"detail-query-name-escape",
     {"malformed %%-escape in a query parameter name", "查询参数名中的 %%-转义格式错误"}},
    {"detail-query-name-utf8",
     {"query parameter name is not UTF-8 text", "查询参数名不是 UTF-8 文本"}},
    {"detail-query-name-long",
     {"query parameter name longer than %d bytes", "查询参数名超过 %d 字节"}},
    {"detail-query-no-name", {"query parameter without a name", "查询参数没有名称"}},
    {"detail-limit-too-large", {"limit too large", "limit 过大"}},
    {"detail-unknown-member-patch",
     {"unknown member (category, subcategory, status, note)",
      "未知的成员（可用 category、subcategory、status、note）"}},
    {"detail-subcategory-not-category",
     {"%s is a subcategory, not a category", "%s 是子类，不是类别"}},
    {"detail-line-not-json", {"a line is not JSON", "有一行不是 JSON"}},
    {"detail-at-most", {"at most %d", "最多 %d"}},
    {"detail-catalogue-upload",
     {"at most %d entries in one upload", "一次上传最多 %d 条"}},
    {"detail-line-d", {"line %d: %s", "第 %d 行：%s"}},
    {"detail-line-zu", {"line %zu: %s", "第 %zu 行：%s"}},
    {"detail-catalogue-kind",
     {"must be national, industry, local, group, international or other",
      "必须是 "
      "national（国家）、industry（行业）、local（地方）、group（团体）、international（"
      "国际）或 other（其他）"}},
    {"detail-catalogue-status",
     {"must be published or planned", "必须是 published（已发布）或 planned（计划中）"}},
    {"detail-no-node-taxonomy", {"no node %s in the taxonomy", "分类体系中没有节点 %s"}},
    {"detail-body-not-json", {"the body is not JSON: %s", "请求正文不是 JSON：%s"}},
    {"detail-catalogue-array", {"the catalogue must be an array", "标准目录必须是数组"}},
    {"detail-input-object", {"the input must be an object", "输入必须是对象"}},
    {"detail-problems", {"%zu problems: %s", "%zu 个问题：%s"}},
    {"detail-proposal-invalid", {"the proposal is not valid", "建议书不符合要求"}},
    {"detail-body-not-object",
     {"the body must be a JSON object", "请求正文必须是 JSON 对象"}},
    {"detail-late",
     {"the %s track of call %s closed at %s; only the secretariat can still accept this "
      "proposal",
      "%s类申报（征集批次 %s）已于 %s 截止；只有秘书处还能接收此建议"}},
    {"detail-late-import",
     {"%s (--as-secretariat stores it, marked late)",
      "%s（加 --as-secretariat 可存入，并标为逾期）"}},
    {"detail-track-local", {"local", "地标"}},
    {"detail-track-group", {"group", "团标"}},
    {"detail-unknown-call-or-track",
     {"unknown call or track", "未知的征集批次或标准类型"}},
    {"detail-unknown-call-known",
     {"unknown call (known: %s)", "未知的征集批次（已知：%s）"}},
    {"detail-call-no-track", {"call %s has no %s track", "征集批次 %s 没有%s类型"}},
    {"detail-call-twice", {"call %.64s is given twice", "征集批次 %.64s 重复给出"}},
    {"detail-call-list-long",
     {"a list of calls has at most %d bytes", "征集批次列表至多 %d 字节"}},
    {"detail-call-not-known",
     {"%.64s is not a call of this taxonomy", "%.64s 不是此分类体系中的征集批次"}},
    {"detail-compare-two",
     {"name two or more calls to compare", "对比须给出两个或更多征集批次"}},
    {"detail-no-call",
     {"no call %.64s in taxonomy %s", "没有征集批次 %.64s（分类体系 %s）"}},
    {"detail-crosswalk-kept",
     {"%s is still a node of this file: a code kept maps to itself, list only the codes "
      "that go",
      "%s 仍是此文件中的节点：保留的代码对应其自身，只列出被取消的代码"}},
    {"detail-crosswalk-removed",
     {"%s of taxonomy %s is removed without a mapping",
      "%s（分类体系 %s）被删除但没有对应关系"}},
    {"detail-crosswalk-stored",
     {"%s: %lld stored proposals are under this code, which is neither a node of "
      "taxonomy "
      "%s nor mapped",
      "%s：已存储的 %lld 项提案属于此代码，它既不是分类体系 %s 的节点，也没有对应关系"}},
    {"detail-crosswalk-homeless",
     {"codes without a home in taxonomy %s: %zu",
      "在分类体系 %s 中没有归属的代码：%zu 个"}},
    {"detail-migrate-version",
     {"the taxonomy loaded is version %s, not %s", "已加载的分类体系版本是 %s，不是 %s"}},
    {"detail-duplicate",
     {"%s already submitted this proposal as %s (similarity %.2f)",
      "%s 已经提交过此建议，编号 %s（相似度 %.2f）"}},
    {"detail-idempotency-reused",
     {"this Idempotency-Key was used with another proposal",
      "此 Idempotency-Key 已用于另一份建议"}},
    {"detail-no-proposal", {"no proposal '%.64s'", "没有编号为“%.64s”的建议"}},
    /* Backup and restore (service_backup.c, api_backup.c). */
    {"detail-backup-start", {"cannot start the backup", "无法开始备份"}},
    {"detail-no-backup", {"no backup '%.64s'", "没有名为“%.64s”的备份"}},
    {"detail-no-backup-dir",
     {"no backup-dir is configured (stdtaxd(8))", "未配置 backup-dir（见 stdtaxd(8)）"}},
    {"detail-backup-differs",
     {"%s differs from the backup's manifest (%llu bytes, SHA-256 %.12s..., expected "
      "%lld bytes, %.12s...)",
      "%s 与备份清单不符（%llu 字节，SHA-256 %.12s...；清单为 %lld 字节，%.12s...）"}},
    {"detail-backup-no-manifest",
     {"%s has no manifest.json: not a backup, or one that did not finish",
      "%s 中没有 manifest.json：不是备份，或是未完成的备份"}},
    {"detail-backup-format",
     {"%s is not a manifest of stdtaxd-backup/1",
      "%s 不是 stdtaxd-backup/1 格式的备份清单"}},
    {"detail-backup-out-not-empty",
     {"%s is not empty: a backup goes into a new directory",
      "%s 不是空目录：备份须写入新目录"}},
    {"detail-restore-not-empty",
     {"%s is not empty: restore into an empty directory, or give --force to replace its "
      "store and materials",
      "%s 不是空目录：请恢复到空目录，或加 --force 替换其中的数据库和材料"}},
    {"detail-backup-bad-file",
     {"%s/manifest.json: files/%zu is not a file of a backup",
      "%s/manifest.json：files/%zu 不是备份中的文件"}},
    {"detail-file-line", {"%s: %s (line %d)", "%s：%s（第 %d 行）"}},
    {"detail-io", {"cannot %s %s: %s", "无法%s %s：%s"}},
    {"detail-io-disk-full", {"disk full: cannot %s %s: %s", "磁盘已满：无法%s %s：%s"}},
    {"detail-backup-version",
     {"the backup %s holds a store of schema version %lld; this program reads schema "
      "version %d",
      "备份 %s 的数据库为第 %lld 版结构；本程序读取第 %d 版"}},
    {"detail-restore-count",
     {"the restored store has %lld proposals, the manifest %lld",
      "恢复后的数据库有 %lld 份建议，备份清单为 %lld 份"}},
    {"detail-backup-inconsistent",
     {"the store in %s is not consistent (stdtax check says why)",
      "%s 中的数据库不一致（stdtax check 可查看原因）"}},
    {"detail-no-taxonomy-node",
     {"no taxonomy node '%.64s'%s%s", "分类体系中没有节点“%.64s”%s%s"}},
    {"detail-no-resource", {"no resource at %.200s", "%.200s 处没有资源"}},
    {"detail-method", {"%s is not allowed here; use %s", "此处不允许 %s；请用 %s"}},
    {"detail-token-unknown",
     {"the bearer token is malformed or unknown", "令牌格式错误或未知"}},
    {"detail-token-needed",
     {"this route needs a bearer token (Authorization: Bearer TOKEN)",
      "此接口需要令牌（Authorization: Bearer 令牌）"}},
    {"detail-scope", {"the token's scope does not allow this", "令牌的权限不允许此操作"}},
    {"detail-shutting-down",
     {"the server is shutting down; retry on another instance",
      "服务正在停止；请在其他实例上重试"}},
    {"detail-path-too-long", {"path longer than %d bytes", "路径超过 %d 字节"}},
    {"detail-idempotency-key",
     {"Idempotency-Key must be 1 to %d printable ASCII characters",
      "Idempotency-Key 必须是 1 至 %d 个可打印 ASCII 字符"}},
    {"detail-path-param",
     {"path parameter {%s} is not %%-encoded UTF-8",
      "路径参数 {%s} 不是 %%-编码的 UTF-8 文本"}},
    {"detail-content-length",
     {"conflicting Content-Length / Transfer-Encoding headers",
      "Content-Length 与 Transfer-Encoding 请求头相互冲突"}},
    {"detail-content-type",
     {"Content-Type must be application/json (UTF-8), not '%.80s'",
      "Content-Type 必须是 application/json（UTF-8），而不是“%.80s”"}},
    {"detail-body-too-big",
     {"body of %zu bytes is over the limit of %zu",
      "请求正文 %zu 字节，超过上限 %zu 字节"}},
    {"detail-json-line",
     {"invalid JSON at line %d, column %d: %s",
      "JSON 格式错误，位于第 %d 行第 %d 列：%s"}},
    {"detail-json-line-zu",
     {"invalid JSON at line %zu, column %d: %s",
      "JSON 格式错误，位于第 %zu 行第 %d 列：%s"}},
    {"detail-body-empty",
     {"the request body is empty; a JSON object is expected",
      "请求正文为空；应为 JSON 对象"}},
    {"detail-body-no-line",
     {"the request body has no JSON line", "请求正文中没有 JSON 行"}},
    {"detail-nomem", {"out of memory", "内存不足"}},
    {"detail-nomem-retry", {"out of memory; retry", "内存不足；请重试"}},
    {"detail-unknown-query",
     {"unknown query parameter '%.64s'", "未知的查询参数“%.64s”"}},
    {"detail-unknown-parameter", {"unknown parameter '%.64s'", "未知的参数“%.64s”"}},
    {"detail-query-twice",
     {"query parameter '%.64s' given more than once", "查询参数“%.64s”出现了不止一次"}},
    {"detail-given-twice", {"'%.64s' given more than once", "“%.64s”出现了不止一次"}},
    {"detail-integer",
     {"%s must be an integer from %lu to %lu, not '%.40s'",
      "%s 必须是 %lu 至 %lu 之间的整数，而不是“%.40s”"}},
    {"detail-integer-range", {"an integer from %lu to %lu", "%lu 至 %lu 之间的整数"}},
    {"detail-query-count", {"more than %d query parameters", "查询参数超过 %d 个"}},
    {"detail-query-utf8",
     {"query parameter '%s' is not UTF-8 text", "查询参数“%s”不是 UTF-8 文本"}},
    {"detail-query-long",
     {"query parameter '%s' longer than %d bytes", "查询参数“%s”超过 %d 字节"}},
    {"detail-query-escape",
     {"malformed %%-escape in query parameter '%s'", "查询参数“%s”中的 %%-转义格式错误"}},
    {"detail-format", {"format must be csv or json", "format 必须是 csv 或 json"}},
    {"detail-csv-or-json", {"csv or json", "csv 或 json"}},
    {"detail-not-acceptable",
     {"this list is application/json or text/csv, not '%.80s'",
      "此列表只提供 application/json 或 text/csv，而不是“%.80s”"}},
    {"detail-export-too-many",
     {"more than %d proposals match; an export holds at most %d",
      "符合条件的建议超过 %d 份；一次导出最多 %d 份"}},
    {"detail-narrow",
     {"narrow the filter (call, track, status, ...)",
      "请缩小筛选范围（征集批次、标准类型、状态等）"}},
    {"detail-batch-too-many",
     {"%zu items; at most %u in one batch (batch-max)",
      "%zu 项；一批最多 %u 项（batch-max）"}},
    {"detail-batch-shape",
     {"the batch is not {\"items\": [...]}", "批量请求不是 {\"items\": [...]} 的形式"}},
    {"detail-must-be-array", {"must be an array", "必须是数组"}},
    {"detail-at-least-one-item", {"must hold at least one item", "至少要有一项"}},
    {"detail-unknown-member-named", {"unknown member '%.64s'", "未知的成员“%.64s”"}},
    {"detail-unknown-member", {"unknown member", "未知的成员"}},
    {"detail-unknown-category", {"unknown category", "未知的类别"}},
    {"detail-unknown-status", {"unknown status", "未知的状态"}},
    {"detail-unknown-topic", {"unknown priority topic", "未知的立项重点"}},
    {"detail-move", {"a proposal cannot move from %s to %s", "建议不能从 %s 改为 %s"}},
    {"detail-not-subcategory-of", {"%s is not a subcategory of %s", "%s 不是 %s 的子类"}},
    {"detail-nothing-to-change",
     {"nothing to change: give category, subcategory, status or note",
      "没有要修改的内容：请给出 category、subcategory、status 或 note"}},
    {"detail-clear-subcategory",
     {"clearing the subcategory needs the category too", "清除子类时须同时给出类别"}},
    {"detail-invalid-correction", {"invalid correction", "更正内容不符合要求"}},
    {"detail-invalid-filter", {"invalid filter", "筛选条件不符合要求"}},
    {"detail-invalid-query", {"invalid query", "查询条件不符合要求"}},
    {"detail-limit", {"limit must be 1 to %d", "limit 必须在 1 至 %d 之间"}},
    {"detail-not-cursor", {"not a cursor of this list", "不是此列表的游标"}},
    {"detail-store-not-open", {"the store is not open", "存储未打开"}},
    {"detail-text-query-counts",
     {"a text query filters the list only; counts are kept per call, track and status "
      "and never read the records",
      "文本查询只用于筛选列表；统计数按征集批次、标准类型和状态保存，不读取建议内容"}},
    {"detail-needs-review-counts",
     {"needs_review filters the list only; counts never read the records",
      "needs_review 只用于筛选列表；统计数不读取建议内容"}},
    {"detail-true-or-false", {"must be true or false", "必须是 true 或 false"}},
    {"detail-must-be-1-to", {"must be 1 to %d", "必须是 1 至 %d 个字符"}},
    {"detail-must-be-1-to-bytes", {"must be 1 to %d bytes", "必须是 1 至 %d 字节"}},
    {"detail-must-be-local-or-group",
     {"must be local or group", "必须是 local（地标）或 group（团标）"}},
    {"detail-not-top-category",
     {"not a top-level category code or label of taxonomy %s",
      "不是分类体系 %s 的一级类别代码或名称"}},
    {"detail-not-subcategory",
     {"not a subcategory code or label of taxonomy %s",
      "不是分类体系 %s 的子类代码或名称"}},
    {"detail-no-node", {"no node %.64s in taxonomy %s", "没有节点 %.64s（分类体系 %s）"}},
    {"detail-dashboard-missing", {"no such file in the dashboard", "看板中没有此文件"}},
    {"detail-invalid-classify", {"invalid classification request", "分类请求不符合要求"}},
    {"detail-empty-text", {"empty or whitespace-only text", "文本为空或只有空白"}},
    {"detail-catalogue-too-many",
     {"%zu entries; at most %d in one request", "%zu 条；一次请求最多 %d 条"}},
    {"detail-catalogue-shape",
     {"must be a JSON array of catalogue entries, or JSON Lines",
      "必须是标准目录条目的 JSON 数组，或 JSON Lines"}},
    {"detail-threshold",
     {"threshold must be a number from 0 to 1", "threshold 必须是 0 到 1 之间的数"}},
    /* Materials (doc/materials.md). */
    {"problem-unsupported-file-type", {"File type not accepted", "不接受的文件类型"}},
    {"detail-material-method",
     {"%s is not the method for kind %.32s", "%s 不是材料种类 %.32s 的请求方法"}},
    {"detail-material-kind",
     {"kind must be form-scan, draft, ip-proof or other",
      "材料种类必须是 form-scan、draft、ip-proof 或 other"}},
    {"detail-material-delete",
     {"only the secretariat removes materials", "只有秘书处可以删除材料"}},
    {"detail-material-not-owner",
     {"proposal %s was not submitted with this token", "建议 %s 不是用此令牌提交的"}},
    {"detail-material-late",
     {"the %s track of proposal %s has closed; only the secretariat can still add "
      "materials",
      "%s类申报（建议 %s）已截止；只有秘书处还能添加材料"}},
    {"detail-material-too-large",
     {"the file has %zu bytes; at most %zu are accepted",
      "文件有 %zu 字节；最多接受 %zu 字节"}},
    {"detail-material-type-declared",
     {"the file is %s (%s) but was declared %.80s",
      "文件是 %s（%s），但声明的类型是 %.80s"}},
    {"detail-material-empty", {"the file is empty", "文件为空"}},
    {"detail-material-type",
     {"the file is none of PDF, DOCX, DOC, OFD, JPEG, PNG (declared %.80s)",
      "文件不是 PDF、DOCX、DOC、OFD、JPEG、PNG 中的任何一种（声明为 %.80s）"}},
    {"detail-material-missing",
     {"the file of material %s of %s is missing (stdtax check reports the damage)",
      "材料 %s（建议 %s）的文件缺失（stdtax check 会报告此损坏）"}},
    {"detail-material-not-reader",
     {"the materials of proposal %s are not this token's", "建议 %s 的材料不属于此令牌"}},
    {"detail-material-too-many",
     {"proposal %s has %zu materials; at most %zu are kept",
      "建议 %s 已有 %zu 份材料；最多保存 %zu 份"}},
};

#undef M

const struct msg *msg_table(size_t *count)
{
    *count = sizeof messages / sizeof messages[0];
    return messages;
}

const struct msg *msg_of(enum msg_id id)
{
    return (unsigned)id < MSG_ID_COUNT ? &messages[id] : NULL;
}

const char *msg_text(enum msg_id id, enum msg_lang lang)
{
    const struct msg *m = msg_of(id);
    if (!m || (unsigned)lang >= MSG_LANG_COUNT)
        return "";
    return m->text[lang] ? m->text[lang] : m->text[MSG_EN];
}

/* The length of the printf conversion at f (f[0] == '%'; "%%" is not one): flags,
 * width, precision, length modifiers and the conversion letter.  0 when f is not a
 * conversion. */
static size_t conversion_len(const char *f)
{
    if (f[0] != '%' || f[1] == '%')
        return 0;
    size_t n = 1;
    while (f[n] && strchr("-+ #0123456789.*hlLqjzt", f[n]))
        n++;
    return f[n] && strchr("diouxXeEfFgGaAcsp", f[n]) ? n + 1 : 0;
}

/* Copies a message's text in lang, putting the next argument at each conversion; "%%"
 * is a '%'.  Not snprintf: the arguments are strings that come from outside. */
void msg_render(const struct msg *m, enum msg_lang lang, const char *const *args,
                size_t nargs, char *out, size_t size)
{
    if (size == 0)
        return;
    const char *t = m && (unsigned)lang < MSG_LANG_COUNT && m->text[lang] ? m->text[lang]
                    : m ? m->text[MSG_EN]
                        : "";
    size_t n = 0, next = 0;
    while (*t && n + 1 < size) {
        const char *piece = NULL;
        size_t conv = conversion_len(t);
        if (conv) {
            piece = next < nargs && args[next] ? args[next] : "";
            next++;
            t += conv;
        } else if (t[0] == '%' && t[1] == '%') {
            piece = "%";
            t += 2;
        } else {
            out[n++] = *t++;
            continue;
        }
        size_t k = strlen(piece);
        if (k > size - 1 - n)
            k = size - 1 - n;
        memcpy(out + n, piece, k);
        n += k;
    }
    /* Never end inside a UTF-8 sequence (when the text was cut). */
    size_t lead = n;
    while (lead > 0 && ((unsigned char)out[lead - 1] & 0xC0) == 0x80)
        lead--;
    if (lead > 0 && (unsigned char)out[lead - 1] >= 0xC0) {
        unsigned char c = (unsigned char)out[lead - 1];
        size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (n - (lead - 1) < want)
            n = lead - 1;
    }
    out[n] = '\0';
}

#define MSG_ARGS_MAX 4

int stdtax_problem_add_msg(json_t *problems, const char *pointer, enum msg_id id,
                           const char *const *args)
{
    const struct msg *m = msg_of(id);
    size_t nargs = 0;
    while (args && args[nargs] && nargs < MSG_ARGS_MAX)
        nargs++;
    char text[STDTAX_TEXT_MAX];
    msg_render(m, MSG_EN, args, nargs, text, sizeof text);
    json_t *jargs = json_array();
    for (size_t i = 0; jargs && i < nargs; i++)
        if (json_array_append_new(jargs, json_string(args[i])) != 0) {
            /* An argument that is not UTF-8 (hostile input) is left out. */
            json_array_append_new(jargs, json_string(""));
        }
    json_t *problem =
        jargs ? json_pack("{s:s, s:s, s:s, s:o}", "pointer", pointer ? pointer : "",
                          "detail", text, "rule", m ? m->id : "none", "args", jargs)
              : NULL;
    if (!problem || json_array_append_new(problems, problem) != 0)
        return STDTAX_ENOMEM;
    return 0;
}

/* --- translating an English text --------------------------------------------------- */

#define MATCH_STEPS 20000 /* a bound on the matcher's work for one message */

struct capture {
    const char *at;
    size_t len;
};

/* Matches text t against format f, each conversion taking at least one character
 * (the shortest first); fills caps.  False when it does not match or the work runs
 * out. */
static bool match_at(const char *f, const char *t, struct capture *caps, size_t ncap,
                     size_t *steps)
{
    for (;;) {
        if (++*steps > MATCH_STEPS)
            return false;
        size_t conv = conversion_len(f);
        if (conv) {
            if (ncap >= MSG_ARGS_MAX)
                return false;
            const char *rest = f + conv;
            bool literal_next = *rest && *rest != '%';
            for (size_t k = 1; t[k - 1]; k++) {
                if (literal_next && t[k] != *rest)
                    continue;
                caps[ncap] = (struct capture){t, k};
                if (match_at(rest, t + k, caps, ncap + 1, steps))
                    return true;
                if (*steps > MATCH_STEPS)
                    return false;
            }
            return false;
        }
        if (f[0] == '%' && f[1] == '%') {
            if (*t != '%')
                return false;
            f += 2, t++;
            continue;
        }
        if (*f == '\0')
            return *t == '\0';
        if (*f != *t)
            return false;
        f++, t++;
    }
}

static size_t literal_len(const char *f)
{
    size_t n = 0;
    while (*f) {
        size_t conv = conversion_len(f);
        f += conv ? conv : 1;
        n += conv ? 0 : 1;
    }
    return n;
}

static bool translate(const char *english, enum msg_lang lang, char *out, size_t size,
                      int depth)
{
    const struct msg *best = NULL;
    struct capture caps[MSG_ARGS_MAX], best_caps[MSG_ARGS_MAX];
    size_t best_literal = 0, best_n = 0;
    for (size_t i = 1; i < sizeof messages / sizeof messages[0]; i++) {
        const char *en = messages[i].text[MSG_EN];
        size_t literal = literal_len(en), steps = 0;
        if (literal < 3 || literal <= best_literal)
            continue;
        if (!strchr(en, '%')) {
            if (strcmp(en, english) != 0)
                continue;
        } else if (!match_at(en, english, caps, 0, &steps)) {
            continue;
        }
        best = &messages[i];
        best_literal = literal;
        best_n = 0;
        for (const char *f = en; *f; f++)
            if (conversion_len(f))
                best_caps[best_n] = caps[best_n], best_n++;
    }
    if (!best)
        return false;
    char buf[MSG_ARGS_MAX][STDTAX_TEXT_MAX];
    const char *args[MSG_ARGS_MAX];
    for (size_t i = 0; i < best_n; i++) {
        char raw[STDTAX_TEXT_MAX];
        size_t len =
            best_caps[i].len < sizeof raw - 1 ? best_caps[i].len : sizeof raw - 1;
        memcpy(raw, best_caps[i].at, len);
        raw[len] = '\0';
        /* An argument that is itself a message (a reason inside a summary) is
         * translated too, one level deep. */
        if (depth > 0 || !translate(raw, lang, buf[i], sizeof buf[i], depth + 1))
            memcpy(buf[i], raw, len + 1);
        args[i] = buf[i];
    }
    msg_render(best, lang, args, best_n, out, size);
    return true;
}

bool msg_translate(const char *english, enum msg_lang lang, char *out, size_t size)
{
    if (!english || lang == MSG_EN || (unsigned)lang >= MSG_LANG_COUNT)
        return false;
    return translate(english, lang, out, size, 0);
}

static const struct msg *msg_find_id(const char *id)
{
    for (size_t i = 0; id && i < MSG_ID_COUNT; i++)
        if (strcmp(messages[i].id, id) == 0)
            return &messages[i];
    return NULL;
}

void msg_problem_detail(const json_t *problem, enum msg_lang lang, char *out, size_t size)
{
    const char *detail = json_string_value(json_object_get(problem, "detail"));
    const struct msg *m =
        msg_find_id(json_string_value(json_object_get(problem, "rule")));
    if (m) {
        const json_t *args = json_object_get(problem, "args");
        const char *a[MSG_ARGS_MAX] = {0};
        size_t n =
            json_array_size(args) < MSG_ARGS_MAX ? json_array_size(args) : MSG_ARGS_MAX;
        for (size_t k = 0; k < n; k++)
            a[k] = json_string_value(json_array_get(args, k));
        msg_render(m, lang, a, n, out, size);
    } else if (!detail || !msg_translate(detail, lang, out, size)) {
        snprintf(out, size, "%s", detail ? detail : "");
    }
}

void msg_problems_render(json_t *problems, enum msg_lang lang)
{
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        if (lang != MSG_EN) {
            char text[STDTAX_TEXT_MAX];
            msg_problem_detail(p, lang, text, sizeof text);
            json_t *detail = json_string(text);
            if (detail)
                json_object_set_new(p, "detail", detail);
        }
        json_object_del(p, "args");
    }
}

/* --- languages ------------------------------------------------------------------ */

/* Reads one q-value ("q=0.8"); an unreadable one counts as 1, as if absent. */
static double qvalue_of(const char *params, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=' &&
            (i == 0 || params[i - 1] == ';' || params[i - 1] == ' ')) {
            char buf[8] = "";
            size_t k = 0;
            for (size_t j = i + 2;
                 j < len && k + 1 < sizeof buf &&
                 ((params[j] >= '0' && params[j] <= '9') || params[j] == '.');
                 j++)
                buf[k++] = params[j];
            buf[k] = '\0';
            if (k == 0)
                return 1;
            double q = strtod(buf, NULL);
            return q < 0 ? 0 : q > 1 ? 1 : q;
        }
    }
    return 1;
}

enum msg_lang msg_lang_from_accept_language(const char *header)
{
    double best[MSG_LANG_COUNT] = {-1, -1};
    size_t order[MSG_LANG_COUNT] = {0, 0}, position = 0;
    for (const char *p = header; p && *p;) {
        size_t len = strcspn(p, ",");
        const char *range = p;
        while (len && (*range == ' ' || *range == '\t'))
            range++, len--;
        size_t tag = strcspn(range, ";, \t");
        if (tag > len)
            tag = len;
        int lang = -1;
        if (tag >= 2 && strncasecmp(range, "zh", 2) == 0 && (tag == 2 || range[2] == '-'))
            lang = MSG_ZH;
        else if (tag >= 2 && strncasecmp(range, "en", 2) == 0 &&
                 (tag == 2 || range[2] == '-'))
            lang = MSG_EN;
        if (lang >= 0) {
            double q = qvalue_of(range + tag, len - tag);
            if (q > best[lang]) {
                best[lang] = q;
                order[lang] = position;
            }
        }
        position++;
        p = range + len;
        if (*p == ',')
            p++;
    }
    if (best[MSG_ZH] > 0 &&
        (best[MSG_ZH] > best[MSG_EN] ||
         (best[MSG_ZH] == best[MSG_EN] && order[MSG_ZH] < order[MSG_EN])))
        return MSG_ZH;
    return MSG_EN;
}

enum msg_lang msg_lang_from_locale(const char *lc_all, const char *lc_messages,
                                   const char *lang)
{
    const char *const order[] = {lc_all, lc_messages, lang};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (order[i] && order[i][0])
            return strncasecmp(order[i], "zh", 2) == 0 ? MSG_ZH : MSG_EN;
    return MSG_EN;
}

const char *msg_lang_tag(enum msg_lang lang)
{
    return lang == MSG_ZH ? "zh-CN" : "en";
}
