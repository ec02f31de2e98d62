// Times as a person reads them: in the browser's own time zone, the UTC time on hover and in `datetime`.
import { h } from './dom.js';

const LOCAL = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const utc = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** A time in the reader's own zone; the UTC time on hover and in `datetime`. */
export function localTime(iso: string | null, prefix = ''): HTMLElement | string {
  if (!iso) return '—';
  return h('time', { datetime: iso, title: utc(iso) }, `${prefix}${LOCAL.format(new Date(iso))}`);
}
