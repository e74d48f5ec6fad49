// What the page, the admin tab and the widget say for each API error `code` (the API's own `message`
// is for programs and curl, in Chinese and English, and may name headers or commands). One table, read
// by embed.js and admin.js here and by qa/web/messages.py for the Gradio page. The object after
// "QA_MESSAGES =" is plain JSON.
window.QA_MESSAGES = {
  "empty_input": "内容是空的：请输入文字。",
  "input_too_long": "内容太长：请缩短后再试。",
  "invalid_input": "输入有误：请检查后再试（引文至少要有几个字）。",
  "invalid_request": "提交的内容不完整或格式不对，请刷新页面后再试。",
  "malformed_json": "提交的内容格式不对，请刷新页面后再试。",
  "bad_request": "提交的内容格式不对，请刷新页面后再试。",
  "not_found": "没有找到：这个知识库或文档不存在，可能已被删除。",
  "empty_collection": "这个知识库还没有文档：请管理员在“管理”页上传文档。",
  "method_not_allowed": "这个操作不被允许。",
  "body_too_large": "提交的内容或文件太大，请缩小后再试。",
  "unauthorized": "令牌不正确，或登录已过期：请重新输入管理令牌。",
  "too_many_attempts": "令牌输错次数太多，请稍等一分钟再试。",
  "forbidden": "没有权限做这个操作：请先用管理令牌登录。",
  "cross_origin": "这个请求来自别的网站，已被拒绝。请直接打开本站页面操作。",
  "conflict": "操作与现有内容冲突（例如同名知识库已存在，或有任务正在进行），请换个名称或稍后再试。",
  "source_error": "文件读取失败，请检查文件后重新上传。",
  "source_not_found": "找不到要读取的文件。",
  "undecodable_source": "无法读取这个文件：请上传 txt、md、pdf、docx、pptx、xlsx 或 html 文件。",
  "empty_corpus": "文件中没有可读取的文字。",
  "index_error": "索引出错，请联系管理员。",
  "corrupt_index": "索引与原文不一致，正在重建或需要管理员重建，请稍后再试。",
  "index_busy": "索引正在更新，请稍后再试。",
  "index_write_error": "索引无法写入，请联系管理员检查磁盘空间和权限。",
  "model_error": "模型暂时不可用，请联系管理员。",
  "model_not_found": "模型暂时不可用，请联系管理员。",
  "unavailable": "服务暂时不可用，请稍后再试。",
  "internal_error": "服务器出错了，请稍后再试；如果一直出错，请联系管理员。",
  "http_error": "请求失败，请稍后再试。",
  "qa_error": "出错了，请稍后再试。",
  "network": "连不上服务器，请检查网络后再试。"
};
