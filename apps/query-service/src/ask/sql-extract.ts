/**
 * The SQL in a model's answer. Models wrap it in markdown fences, put a sentence before it or an explanation after
 * it; only that wrapping is removed. Nothing inside the statement is cut: a second statement, a comment or a
 * write stays there for the guard to refuse (silently keeping "the first statement" would let a hostile answer
 * decide what runs).
 */
export function extractSql(answer: string): string {
  let text = answer.replace(/\r\n?/g, '\n').trim();
  const fence = /```[a-zA-Z]*\n?([\s\S]*?)```/.exec(text);
  if (fence) text = fence[1].trim();
  // A sentence before the statement ("Here is the query:"), or a label ("SQL:").
  const start = /^\s*(SELECT|WITH)\b/im.exec(text);
  if (start && start.index > 0) text = text.slice(start.index);
  text = text.replace(/^\s*SQL\s*:\s*/i, '');
  // An explanation after a blank line, when it does not read like SQL.
  const parts = text.split(/\n\s*\n/);
  if (parts.length > 1 && !parts.slice(1).some((p) => SQL_START.test(p))) text = parts[0];
  return text.trim();
}

const SQL_START =
  /^\s*(select|insert|update|delete|drop|create|alter|with|grant|revoke|truncate|set|call|do|copy|load|replace|rename|show|explain|prepare|execute|handler|vacuum|lock|union|from|where|and|or|;|--|\/\*)/i;
