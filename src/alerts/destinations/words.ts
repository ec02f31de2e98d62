// The sentences every destination shows, so Slack, Teams and the terminal say the same thing.
import type { AlertMessage } from '../message.js';

/** `Firing: main-success-rate` / `Resolved: main-success-rate`. */
export const headline = (message: AlertMessage) =>
  `${message.event === 'firing' ? 'Firing' : 'Resolved'}: ${message.rule}`;

/** `Success rate is 82.5 % over the last 24h (alert when below 90 %).` */
export const summary = (message: AlertMessage) =>
  `${message.metric_label} is ${message.value_text} over the last ${message.window} (alert when ${message.condition_text})` +
  (message.event === 'resolved' ? ': the condition no longer holds.' : '.');
