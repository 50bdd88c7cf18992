import type { ActionsBlock, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from "@slack/types";
import type { NotificationKind } from "@/lib/schemas/notifications";

/**
 * Block Kit messages for Slack (typed with @slack/types, so a wrong field fails to compile), and
 * the runtime limits Slack enforces that the types cannot express (lengths, counts): a message
 * over a limit is rejected whole by Slack with `invalid_blocks`, so we cut before sending.
 */

export type SlackMessage = { text: string; blocks: KnownBlock[] };

export type MessageInput = {
  kind: NotificationKind | "test";
  title: string;
  /** mrkdwn body. */
  body: string;
  fields?: [label: string, value: string][];
  /** "Open in Workdeck" button. */
  link?: string | null;
  project?: string | null;
};

const EMOJI: Record<MessageInput["kind"], string> = {
  failure_persistent: ":red_circle:",
  session_finished: ":white_check_mark:",
  session_failed: ":x:",
  session_needs_you: ":raising_hand:",
  account_limited: ":hourglass:",
  ci_failed: ":rotating_light:",
  ci_fixed: ":large_green_circle:",
  deploy_failed: ":boom:",
  deploy_succeeded: ":rocket:",
  automation: ":robot_face:",
  session_stuck: ":hourglass_flowing_sand:",
  test: ":wave:",
};

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** Slack's mrkdwn treats &, < and > as control characters. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function buildMessage(m: MessageInput): SlackMessage {
  const header: HeaderBlock = { type: "header", text: { type: "plain_text", text: cut(`${EMOJI[m.kind]} ${m.title}`, 150), emoji: true } };
  const section: SectionBlock = {
    type: "section",
    text: { type: "mrkdwn", text: cut(m.body || " ", 3000) },
    ...(m.fields?.length
      ? {
          fields: m.fields
            .slice(0, 10)
            .map(([label, value]) => ({ type: "mrkdwn" as const, text: cut(`*${escapeMrkdwn(label)}*\n${value}`, 2000) })),
        }
      : {}),
  };
  const blocks: KnownBlock[] = [header, section];
  if (m.link) {
    const actions: ActionsBlock = {
      type: "actions",
      elements: [
        { type: "button", text: { type: "plain_text", text: "Open in Workdeck" }, url: cut(m.link, 3000), action_id: "open_workdeck" },
      ],
    };
    blocks.push(actions);
  }
  const context: ContextBlock = {
    type: "context",
    elements: [
      { type: "mrkdwn", text: cut(`Workdeck${m.project ? ` · ${escapeMrkdwn(m.project)}` : ""} · ${m.kind.replace(/_/g, " ")}`, 2000) },
    ],
  };
  blocks.push(context);
  return { text: cut(`${m.title}${m.project ? ` (${m.project})` : ""}`, 3000), blocks };
}

const KNOWN_TYPES = new Set(["header", "section", "actions", "context", "divider"]);

/** Problems Slack would reject the message for; empty when it is valid. */
export function checkMessage(message: { text?: unknown; blocks?: unknown }): string[] {
  const problems: string[] = [];
  const textOf = (t: unknown, where: string, max: number, plainOnly = false) => {
    const o = t as { type?: unknown; text?: unknown } | undefined;
    if (!o || (o.type !== "plain_text" && o.type !== "mrkdwn"))
      return problems.push(`${where}: a text object needs type plain_text or mrkdwn`);
    if (plainOnly && o.type !== "plain_text") problems.push(`${where}: must be plain_text`);
    if (typeof o.text !== "string" || o.text.length === 0) problems.push(`${where}: empty text`);
    else if (o.text.length > max) problems.push(`${where}: longer than ${max}`);
  };
  if (typeof message.text !== "string" || !message.text) problems.push("text: a fallback text is required");
  if (!Array.isArray(message.blocks)) return [...problems, "blocks: not an array"];
  if (message.blocks.length === 0 || message.blocks.length > 50) problems.push("blocks: 1 to 50 blocks");
  message.blocks.forEach((b: Record<string, unknown>, i) => {
    const where = `blocks[${i}]`;
    if (!KNOWN_TYPES.has(b.type as string)) return problems.push(`${where}: unknown type ${String(b.type)}`);
    if (b.type === "header") textOf(b.text, `${where}.text`, 150, true);
    if (b.type === "section") {
      if (b.text === undefined && !Array.isArray(b.fields)) problems.push(`${where}: text or fields required`);
      if (b.text !== undefined) textOf(b.text, `${where}.text`, 3000);
      if (Array.isArray(b.fields)) {
        if (b.fields.length > 10) problems.push(`${where}.fields: at most 10`);
        b.fields.forEach((f, j) => textOf(f, `${where}.fields[${j}]`, 2000));
      }
    }
    if (b.type === "actions") {
      const elements = b.elements as Record<string, unknown>[] | undefined;
      if (!Array.isArray(elements) || elements.length === 0 || elements.length > 25) problems.push(`${where}.elements: 1 to 25`);
      elements?.forEach((e, j) => {
        if (e.type !== "button") return;
        textOf(e.text, `${where}.elements[${j}].text`, 75, true);
        if (typeof e.url === "string" && e.url.length > 3000) problems.push(`${where}.elements[${j}].url: longer than 3000`);
      });
    }
    if (b.type === "context") {
      const elements = b.elements as unknown[] | undefined;
      if (!Array.isArray(elements) || elements.length === 0 || elements.length > 10) problems.push(`${where}.elements: 1 to 10`);
      elements?.forEach((e, j) => textOf(e, `${where}.elements[${j}]`, 2000));
    }
  });
  return problems;
}
