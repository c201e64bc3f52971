// Interface text in Traditional Chinese (default), Simplified Chinese and
// English. The choice is kept in localStorage and sets <html lang>, which
// also picks the matching CJK font (app.css).

const STRINGS = {
  'zh-Hant': {
    tokenEditor: 'API 權杖（編輯者以上）', confirmWhole: '整項交接', confirm: '送出確認', addConfirmation: '新增確認紀錄', tokenForbiddenEditor: '這個權杖沒有編輯者（editor）權限。', gapMissing: '缺少{what}', gapIncident: '事故沒有連結的處理手冊，請撰寫並連結：', gapStale: '已 {age} 天未更新（期限 {limit} 天）：', gapNoOwner: '沒有負責人，請在前言加上 owner：', progress: '進度', feedback: '接手回饋', itemArticles: '相關文章', statusClosed: '已結案', requiredLabels: { 'system overview': '系統架構文件', runbook: '作業手冊', 'fault-handling procedure': '故障處理程序', 'contact document': '聯絡窗口文件', 'training session': '教育訓練紀錄' }, stages: { preparation: '準備', documentation: '文件', 'knowledge-transfer': '知識移轉', practice: '實作', confirmation: '確認', 'follow-up': '後續追蹤' },
    signinTitle: '需要存取權杖', signinIntro: '這個 baton 服務需要權杖才能閱讀。請輸入管理者發給您的 API 權杖（只保存在這個分頁）。', signinRejected: '權杖無效或已撤銷，請重新輸入。', signin: '登入', maybeRestricted: '如果這是限閱文件，請以權杖登入後再試。', signout: '清除權杖',
    editTags: '編輯標籤與時間軸', token: 'API 權杖（講師以上）', tokenHint: '只保存在這個分頁，關閉即清除', addTag: '新增標籤', addTagPlaceholder: '輸入標籤後按 Enter', segTime: '時間', segLabel: '內容', segTags: '標籤（以逗號分隔）', removeSegment: '刪除第 {n} 段', addSegment: '新增段落', save: '儲存', cancel: '取消', saving: '儲存中…', saved: '已儲存。', conflict: '有人在您編輯時修改了這份文件。請重新載入最新版本後再編輯（您的修改尚未儲存）。', reload: '重新載入', tokenMissing: '請輸入 API 權杖。', tokenRejected: '權杖無效，請重新輸入。', tokenForbidden: '這個權杖沒有講師（trainer）權限。', tooMany: '失敗次數過多，請一分鐘後再試。',
    brand: '交接知識庫', skip: '跳至主要內容', mainNav: '主選單', language: '介面語言',
    navSearch: '搜尋', navHandovers: '交接', navProblems: '檔案問題',
    degradedIndex: '索引暫時無法更新，搜尋結果可能不是最新的：', degradedCorpus: '找不到文件資料夾，索引保留原狀：',
    searchLabel: '搜尋知識庫', searchPlaceholder: '搜尋手冊、事故、教育訓練…例如：日終批次 ORA-01555',
    searchHint: '按 / 搜尋，↑↓ 選擇結果，Enter 開啟',
    filters: '篩選', facetKind: '類型', facetSystems: '系統', facetTags: '標籤',
    showMore: '顯示更多', suggestFilters: '加上篩選：', showLess: '收合', clearFilters: '清除篩選', removeFilter: '移除篩選：{v}',
    sort: '排序', sortRelevance: '相關度', sortUpdated: '最近更新',
    resultsCount: '共 {n} 筆結果', resultsTook: '{ms} 毫秒', recent: '最近更新的文件',
    results: '搜尋結果', loading: '搜尋中…', searchFailed: '搜尋失敗：{m}',
    emptyTitle: '找不到符合「{q}」的文件', emptyFiltered: '目前的篩選條件下沒有文件',
    emptyTip1: '換個說法，或改用英文、簡體中文的關鍵字（例如「数据库」、「database」）',
    emptyTip2: '錯誤代碼可直接搜尋，例如 ORA-01555、HTTP 503、OOMKilled',
    emptyTip3: '減少篩選條件或關鍵字', browseAll: '瀏覽全部文件',
    pagination: '分頁', prev: '上一頁', next: '下一頁', pageN: '第 {n} 頁',
    updatedAgo: '{rel}更新', updatedUnknown: '更新日期不明', dated: '日期 {date}', stale: '可能過時',
    staleTitle: '超過 {d} 天未更新（{kind}的期限）',
    today: '今天',
    docNotFound: '找不到這份文件', docFailed: '無法載入文件：{m}', backToResults: '返回搜尋結果',
    toc: '目錄', related: '相關文章', noRelated: '沒有相關文章', metadata: '文件資訊',
    kind: '類型', systems: '系統', owner: '負責人', updated: '更新日期', tags: '標籤', path: '檔案',
    severity: '嚴重度', occurred: '發生時間', resolved: '解決時間', ticket: '單號', date: '日期',
    trainer: '講師', trainees: '學員', recorded: '錄製日期', duration: '長度',
    from: '移交人', to: '接手人', start: '開始', end: '結束', status: '狀態',
    people: '聯絡人', recording: '錄影', openRecording: '開啟錄影', segments: '時間軸', transcript: '逐字稿', atMoment: '於 {t}',
    segmentAt: '從 {t} 開始播放：{label}', noRecording: '這份紀錄沒有錄影連結',
    problems: '檔案問題', problemsHere: '這個檔案有 {n} 個問題', line: '第 {n} 行',
    problemsTitle: '檔案問題', problemsIntro: '這些檔案有格式或內容問題；其餘內容仍可搜尋。',
    noProblems: '沒有檔案問題。', severityError: '錯誤', severityWarning: '警告',
    reasonLinkedFrom: '本文連結到它', reasonLinksTo: '它連結到本文', reasonSameSystem: '同系統：{v}',
    reasonSharedTag: '共同標籤：{v}', reasonSimilar: '內容相似',
    handovers: '交接計畫', handoversIntro: '每項交接的人員、期間、進度與準備度。',
    noHandovers: '目前沒有交接計畫。', readiness: '準備度', openHandover: '開啟交接頁',
    handoverPeople: '{from} → {to}', period: '期間', plan: '交接項目', done: '完成', notDone: '未完成',
    stage: '階段', due: '期限', topic: '項目', confirmations: '確認紀錄', noConfirmations: '尚無確認紀錄',
    perSystem: '各系統', toRead: '應閱讀的文章', gaps: '待補強', noGaps: '沒有缺口',
    noArticles: '沒有相關文章', handoverApiMissing: '交接準備度服務尚未提供；以下依文件內容與搜尋結果顯示，缺口未計算。',
    handoverNotFound: '找不到這項交接', viewDocument: '檢視原始文件', by: '確認人', note: '說明',
    statusPlanned: '規劃中', statusInProgress: '進行中', statusDone: '已完成', statusCancelled: '已取消', statusConfirmed: '已確認', statusFollowUp: '後續追蹤',
    loadingPage: '載入中…', notFound: '找不到頁面', home: '回首頁',
    kinds: { system: '系統架構', runbook: '作業手冊', incident: '事故紀錄', training: '教育訓練', handover: '交接計畫', change: '變更紀錄', contact: '聯絡窗口', faq: '常見問題', article: '文章' },
  },
  'zh-Hans': {
    tokenEditor: 'API 令牌（编辑者及以上）', confirmWhole: '整项交接', confirm: '提交确认', addConfirmation: '添加确认记录', tokenForbiddenEditor: '这个令牌没有编辑者（editor）权限。', gapMissing: '缺少{what}', gapIncident: '事故没有关联的处理手册，请编写并关联：', gapStale: '已 {age} 天未更新（期限 {limit} 天）：', gapNoOwner: '没有负责人，请在前言加上 owner：', progress: '进度', feedback: '接手反馈', itemArticles: '相关文章', statusClosed: '已结案', requiredLabels: { 'system overview': '系统架构文档', runbook: '运维手册', 'fault-handling procedure': '故障处理流程', 'contact document': '联系窗口文档', 'training session': '培训记录' }, stages: { preparation: '准备', documentation: '文档', 'knowledge-transfer': '知识转移', practice: '实操', confirmation: '确认', 'follow-up': '后续跟进' },
    signinTitle: '需要访问令牌', signinIntro: '这个 baton 服务需要令牌才能阅读。请输入管理员发给您的 API 令牌（只保存在这个标签页）。', signinRejected: '令牌无效或已撤销，请重新输入。', signin: '登录', maybeRestricted: '如果这是受限文档，请用令牌登录后再试。', signout: '清除令牌',
    editTags: '编辑标签与时间轴', token: 'API 令牌（讲师及以上）', tokenHint: '只保存在这个标签页，关闭即清除', addTag: '添加标签', addTagPlaceholder: '输入标签后按 Enter', segTime: '时间', segLabel: '内容', segTags: '标签（以逗号分隔）', removeSegment: '删除第 {n} 段', addSegment: '添加段落', save: '保存', cancel: '取消', saving: '保存中…', saved: '已保存。', conflict: '有人在您编辑时修改了这份文档。请重新加载最新版本后再编辑（您的修改尚未保存）。', reload: '重新加载', tokenMissing: '请输入 API 令牌。', tokenRejected: '令牌无效，请重新输入。', tokenForbidden: '这个令牌没有讲师（trainer）权限。', tooMany: '失败次数过多，请一分钟后再试。',
    brand: '交接知识库', skip: '跳至主要内容', mainNav: '主菜单', language: '界面语言',
    navSearch: '搜索', navHandovers: '交接', navProblems: '文件问题',
    degradedIndex: '索引暂时无法更新，搜索结果可能不是最新的：', degradedCorpus: '找不到文档文件夹，索引保持原状：',
    searchLabel: '搜索知识库', searchPlaceholder: '搜索手册、事故、培训…例如：日终批次 ORA-01555',
    searchHint: '按 / 搜索，↑↓ 选择结果，Enter 打开',
    filters: '筛选', facetKind: '类型', facetSystems: '系统', facetTags: '标签',
    showMore: '显示更多', suggestFilters: '加上筛选：', showLess: '收起', clearFilters: '清除筛选', removeFilter: '移除筛选：{v}',
    sort: '排序', sortRelevance: '相关度', sortUpdated: '最近更新',
    resultsCount: '共 {n} 条结果', resultsTook: '{ms} 毫秒', recent: '最近更新的文档',
    results: '搜索结果', loading: '搜索中…', searchFailed: '搜索失败：{m}',
    emptyTitle: '找不到符合“{q}”的文档', emptyFiltered: '当前筛选条件下没有文档',
    emptyTip1: '换个说法，或改用英文、繁体中文的关键词（例如“資料庫”、“database”）',
    emptyTip2: '错误代码可直接搜索，例如 ORA-01555、HTTP 503、OOMKilled',
    emptyTip3: '减少筛选条件或关键词', browseAll: '浏览全部文档',
    pagination: '分页', prev: '上一页', next: '下一页', pageN: '第 {n} 页',
    updatedAgo: '{rel}更新', updatedUnknown: '更新日期不明', dated: '日期 {date}', stale: '可能过时',
    staleTitle: '超过 {d} 天未更新（{kind}的期限）',
    today: '今天',
    docNotFound: '找不到这份文档', docFailed: '无法加载文档：{m}', backToResults: '返回搜索结果',
    toc: '目录', related: '相关文章', noRelated: '没有相关文章', metadata: '文档信息',
    kind: '类型', systems: '系统', owner: '负责人', updated: '更新日期', tags: '标签', path: '文件',
    severity: '严重度', occurred: '发生时间', resolved: '解决时间', ticket: '单号', date: '日期',
    trainer: '讲师', trainees: '学员', recorded: '录制日期', duration: '时长',
    from: '移交人', to: '接手人', start: '开始', end: '结束', status: '状态',
    people: '联系人', recording: '录像', openRecording: '打开录像', segments: '时间轴', transcript: '逐字稿', atMoment: '于 {t}',
    segmentAt: '从 {t} 开始播放：{label}', noRecording: '这份记录没有录像链接',
    problems: '文件问题', problemsHere: '这个文件有 {n} 个问题', line: '第 {n} 行',
    problemsTitle: '文件问题', problemsIntro: '这些文件有格式或内容问题；其余内容仍可搜索。',
    noProblems: '没有文件问题。', severityError: '错误', severityWarning: '警告',
    reasonLinkedFrom: '本文链接到它', reasonLinksTo: '它链接到本文', reasonSameSystem: '同系统：{v}',
    reasonSharedTag: '共同标签：{v}', reasonSimilar: '内容相似',
    handovers: '交接计划', handoversIntro: '每项交接的人员、期间、进度与准备度。',
    noHandovers: '目前没有交接计划。', readiness: '准备度', openHandover: '打开交接页',
    handoverPeople: '{from} → {to}', period: '期间', plan: '交接事项', done: '完成', notDone: '未完成',
    stage: '阶段', due: '期限', topic: '事项', confirmations: '确认记录', noConfirmations: '暂无确认记录',
    perSystem: '各系统', toRead: '应阅读的文章', gaps: '待补强', noGaps: '没有缺口',
    noArticles: '没有相关文章', handoverApiMissing: '交接准备度服务尚未提供；以下按文档内容与搜索结果显示，缺口未计算。',
    handoverNotFound: '找不到这项交接', viewDocument: '查看原始文档', by: '确认人', note: '说明',
    statusPlanned: '规划中', statusInProgress: '进行中', statusDone: '已完成', statusCancelled: '已取消', statusConfirmed: '已确认', statusFollowUp: '后续跟进',
    loadingPage: '加载中…', notFound: '找不到页面', home: '回首页',
    kinds: { system: '系统架构', runbook: '运维手册', incident: '事故记录', training: '培训', handover: '交接计划', change: '变更记录', contact: '联系窗口', faq: '常见问题', article: '文章' },
  },
  en: {
    tokenEditor: 'API token (editor or above)', confirmWhole: 'The whole handover', confirm: 'Confirm', addConfirmation: 'Add a confirmation', tokenForbiddenEditor: 'This token does not have the editor role.', gapMissing: 'No {what}', gapIncident: 'Incident without a linked runbook; write one and link it: ', gapStale: 'Not updated for {age} days (limit {limit}): ', gapNoOwner: 'No owner; add `owner:` to its front matter: ', progress: 'Progress', feedback: 'Feedback', itemArticles: 'Related', statusClosed: 'closed', requiredLabels: {}, stages: {},
    signinTitle: 'Token required', signinIntro: 'This baton service needs a token for reading. Enter the API token you were given (kept in this tab only).', signinRejected: 'The token was rejected or revoked; enter it again.', signin: 'Sign in', maybeRestricted: 'If this document is restricted, sign in with a token and try again.', signout: 'Forget token',
    editTags: 'Edit tags and segments', token: 'API token (trainer or above)', tokenHint: 'kept in this tab only, gone when it closes', addTag: 'Add tag', addTagPlaceholder: 'Type a tag, press Enter', segTime: 'Time', segLabel: 'Label', segTags: 'Tags (comma-separated)', removeSegment: 'Remove segment {n}', addSegment: 'Add segment', save: 'Save', cancel: 'Cancel', saving: 'Saving…', saved: 'Saved.', conflict: 'Someone changed this document while you were editing. Reload the latest version and edit again (your changes were not saved).', reload: 'Reload', tokenMissing: 'Enter your API token.', tokenRejected: 'The token was rejected; enter it again.', tokenForbidden: 'This token does not have the trainer role.', tooMany: 'Too many failures; try again in a minute.',
    brand: 'Handover knowledge base', skip: 'Skip to main content', mainNav: 'Main', language: 'Interface language',
    navSearch: 'Search', navHandovers: 'Handovers', navProblems: 'File problems',
    degradedIndex: 'The index cannot be updated right now; results may be out of date: ', degradedCorpus: 'The corpus folder is missing; the index is kept as it was: ',
    searchLabel: 'Search the knowledge base', searchPlaceholder: 'Search runbooks, incidents, training… e.g. 日終批次 ORA-01555',
    searchHint: 'Press / to search, ↑↓ to pick a result, Enter to open',
    filters: 'Filters', facetKind: 'Kind', facetSystems: 'Systems', facetTags: 'Tags',
    showMore: 'Show more', suggestFilters: 'Add a filter:', showLess: 'Show less', clearFilters: 'Clear filters', removeFilter: 'Remove filter: {v}',
    sort: 'Sort', sortRelevance: 'Relevance', sortUpdated: 'Recently updated',
    resultsCount: '{n} results', resultsTook: '{ms} ms', recent: 'Recently updated documents',
    results: 'Search results', loading: 'Searching…', searchFailed: 'Search failed: {m}',
    emptyTitle: 'No documents match “{q}”', emptyFiltered: 'No documents match these filters',
    emptyTip1: 'Try other words, or Chinese terms in either script (資料庫, 数据库)',
    emptyTip2: 'Error codes work as typed: ORA-01555, HTTP 503, OOMKilled',
    emptyTip3: 'Remove a filter or a word', browseAll: 'Browse all documents',
    pagination: 'Pages', prev: 'Previous', next: 'Next', pageN: 'Page {n}',
    updatedAgo: 'updated {rel}', updatedUnknown: 'update date unknown', dated: 'dated {date}', stale: 'possibly stale',
    staleTitle: 'Not updated for more than {d} days (the limit for {kind})',
    today: 'today',
    docNotFound: 'Document not found', docFailed: 'Could not load the document: {m}', backToResults: 'Back to results',
    toc: 'Contents', related: 'Related articles', noRelated: 'No related articles', metadata: 'Document details',
    kind: 'Kind', systems: 'Systems', owner: 'Owner', updated: 'Updated', tags: 'Tags', path: 'File',
    severity: 'Severity', occurred: 'Occurred', resolved: 'Resolved', ticket: 'Ticket', date: 'Date',
    trainer: 'Trainer', trainees: 'Trainees', recorded: 'Recorded', duration: 'Duration',
    from: 'From', to: 'To', start: 'Start', end: 'End', status: 'Status',
    people: 'People', recording: 'Recording', openRecording: 'Open recording', segments: 'Segments', transcript: 'Transcript', atMoment: 'at {t}',
    segmentAt: 'Play from {t}: {label}', noRecording: 'This record has no recording link',
    problems: 'File problems', problemsHere: 'Problems in this file: {n}', line: 'line {n}',
    problemsTitle: 'File problems', problemsIntro: 'These files have format or content problems; the rest of their text is still searchable.',
    noProblems: 'No file problems.', severityError: 'error', severityWarning: 'warning',
    reasonLinkedFrom: 'linked from this document', reasonLinksTo: 'links to this document', reasonSameSystem: 'same system: {v}',
    reasonSharedTag: 'shared tag: {v}', reasonSimilar: 'similar text',
    handovers: 'Handovers', handoversIntro: 'People, period, progress and readiness of every handover.',
    noHandovers: 'No handovers yet.', readiness: 'Readiness', openHandover: 'Open handover',
    handoverPeople: '{from} → {to}', period: 'Period', plan: 'Plan', done: 'done', notDone: 'open',
    stage: 'Stage', due: 'Due', topic: 'Item', confirmations: 'Confirmations', noConfirmations: 'No confirmations yet',
    perSystem: 'Per system', toRead: 'Articles to read', gaps: 'Readiness gaps', noGaps: 'No gaps',
    noArticles: 'No articles', handoverApiMissing: 'The handover readiness service is not available yet; shown from the document and search, without gaps.',
    handoverNotFound: 'Handover not found', viewDocument: 'View the document', by: 'By', note: 'Note',
    statusPlanned: 'planned', statusInProgress: 'in progress', statusDone: 'done', statusCancelled: 'cancelled', statusConfirmed: 'confirmed', statusFollowUp: 'follow-up',
    loadingPage: 'Loading…', notFound: 'Page not found', home: 'Home',
    kinds: { system: 'System', runbook: 'Runbook', incident: 'Incident', training: 'Training', handover: 'Handover', change: 'Change', contact: 'Contacts', faq: 'FAQ', article: 'Article' },
  },
};

export const LANGS = Object.keys(STRINGS);
const KEY = 'baton.lang';
let current = 'zh-Hant';
try {
  const saved = localStorage.getItem(KEY);
  if (saved && STRINGS[saved]) current = saved;
} catch { /* storage disabled: default language */ }

/** The interface language. */
export function lang() { return current; }

/** Switches and remembers the interface language. */
export function setLang(l) {
  if (!STRINGS[l]) return;
  current = l;
  try { localStorage.setItem(KEY, l); } catch { /* not remembered */ }
  document.documentElement.lang = l;
}

/** The string `key` with `{name}` placeholders filled from `vars`. */
export function t(key, vars) {
  const s = STRINGS[current][key] ?? STRINGS['zh-Hant'][key] ?? key;
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/** The display name of a document kind. */
export function kindName(kind) {
  return STRINGS[current].kinds[kind] ?? kind;
}

/** "3 天前", "2 個月前", "today" for a number of days. */
export function relDays(days) {
  if (days === null || days === undefined) return '';
  if (days === 0) return t('today');
  const rtf = new Intl.RelativeTimeFormat(current, { numeric: 'auto' });
  const abs = Math.abs(days);
  const sign = days > 0 ? -1 : 1;
  if (abs < 60) return rtf.format(sign * abs, 'day');
  if (abs < 730) return rtf.format(sign * Math.round(abs / 30.4), 'month');
  return rtf.format(sign * Math.round(abs / 365.25), 'year');
}

/** Fills elements marked data-i18n / data-i18n-attr in the shell. */
export function applyStatic(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  document.title = `baton ${t('brand')}`;
}

/** A related-article reason from the API ("same system: x") in the interface language. */
export function reason(r) {
  const s = String(r);
  if (s === 'linked from this document') return t('reasonLinkedFrom');
  if (s === 'links to this document') return t('reasonLinksTo');
  if (s === 'similar text') return t('reasonSimilar');
  let m = /^same system: (.*)$/.exec(s);
  if (m) return t('reasonSameSystem', { v: m[1] });
  m = /^shared tag: (.*)$/.exec(s);
  if (m) return t('reasonSharedTag', { v: m[1] });
  return s;
}

/** A handover plan stage in the interface language. */
export function stageName(s) {
  return STRINGS[current].stages?.[s] ?? String(s ?? '');
}

/** A required-document label of the readiness rules ("contact document"). */
export function requiredLabel(l) {
  return STRINGS[current].requiredLabels?.[l] ?? String(l ?? '');
}

/** A handover status in the interface language. */
export function statusName(s) {
  const key = { planned: 'statusPlanned', 'in-progress': 'statusInProgress', in_progress: 'statusInProgress', active: 'statusInProgress', done: 'statusDone', completed: 'statusDone', complete: 'statusDone', cancelled: 'statusCancelled', canceled: 'statusCancelled', confirmed: 'statusConfirmed', 'follow-up': 'statusFollowUp', closed: 'statusClosed' }[String(s || '').toLowerCase()];
  return key ? t(key) : String(s || '');
}
