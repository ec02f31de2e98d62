// A Slack incoming webhook's message: Block Kit with the figure, its change, the scope and a button to the
// dashboard, and `text` as the notification's fallback. Names come from providers: Slack's mrkdwn gives
// meaning to &, < and >, so they are escaped (a branch named `<!channel>` must not ping anyone).
import type { AlertMessage } from '../message.js';
import { headline, summary } from './words.js';

const escapeMrkdwn = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Slack refuses a header longer than 150 characters. */
const clip = (text: string, max: number) =>
  [...text].length <= max ? text : `${[...text].slice(0, max - 1).join('')}…`;

export function slackPayload(message: AlertMessage): unknown {
  const field = (title: string, value: string) => ({
    type: 'mrkdwn',
    text: `*${title}*\n${escapeMrkdwn(value)}`,
  });
  return {
    text: escapeMrkdwn(`${headline(message)}: ${summary(message)}`),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(headline(message), 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(summary(message)) } },
      {
        type: 'section',
        fields: [
          field(message.metric_label, message.value_text),
          field('Change', message.change_text ?? 'not compared'),
          field('Scope', message.scope_text),
          field('Runs', String(message.runs)),
        ],
      },
      ...(message.link
        ? [
            {
              type: 'actions',
              elements: [
                { type: 'button', text: { type: 'plain_text', text: 'Open dashboard' }, url: message.link },
              ],
            },
          ]
        : []),
    ],
  };
}
