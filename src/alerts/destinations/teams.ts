// A Microsoft Teams message through a Workflows webhook ("Post to a channel when a webhook request is
// received"): an Adaptive Card in a message attachment, the shape that flow posts as it is. Office 365
// connectors, which took MessageCards, are being retired.
import type { AlertMessage } from '../message.js';
import { headline, summary } from './words.js';

export function teamsPayload(message: AlertMessage): unknown {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              size: 'Large',
              weight: 'Bolder',
              color: message.event === 'firing' ? 'Attention' : 'Good',
              text: headline(message),
              wrap: true,
            },
            { type: 'TextBlock', text: summary(message), wrap: true },
            {
              type: 'FactSet',
              facts: [
                { title: message.metric_label, value: message.value_text },
                { title: 'Change', value: message.change_text ?? 'not compared' },
                { title: 'Scope', value: message.scope_text },
                { title: 'Runs', value: String(message.runs) },
              ],
            },
          ],
          ...(message.link
            ? { actions: [{ type: 'Action.OpenUrl', title: 'Open dashboard', url: message.link }] }
            : {}),
        },
      },
    ],
  };
}
