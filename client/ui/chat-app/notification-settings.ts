// <chat-app>'s notification settings as render functions: per conversation (level, mute) and for the account (enable, hide message text).
import { css, html, nothing, type TemplateResult } from 'lit';
import { MUTED_FOREVER } from '../../../shared/account.js';
import { defaultNotifyLevel, type ConversationListItem, type NotifyLevel } from '../../index.js';
import type { PushStatus } from './app-push.js';

const HOUR = 3_600_000;

/** The mute choices offered, in ms from now (or forever). */
export const MUTE_CHOICES: ReadonlyArray<{ label: string; value: 'forever' | number }> = [
  { label: 'For 1 hour', value: HOUR },
  { label: 'For 8 hours', value: 8 * HOUR },
  { label: 'Until I turn it back on', value: 'forever' },
];

const LEVEL_LABELS: Record<NotifyLevel, string> = {
  all: 'All new messages',
  mentions: 'Only @mentions and direct messages',
  none: 'Nothing',
};

/** What the conversation settings can change (each writes the account document; a refusal is the caller's to show). */
export interface ConversationNotifyActions {
  setLevel(level: NotifyLevel): void;
  /** Mutes until `until` (ms since the epoch); 0 unmutes. */
  muteUntil(until: number): void;
  close(): void;
}

/** When a mute ends, in words. */
function mutedLabel(until: number, now: number): string {
  if (until >= MUTED_FOREVER) return 'Muted until you turn notifications back on.';
  const end = new Date(until);
  const sameDay = end.toDateString() === new Date(now).toDateString();
  const time = end.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return `Muted until ${sameDay ? time : `${end.toLocaleDateString()} ${time}`}.`;
}

/**
 * The panel of one conversation's notification settings: a radio group for the level (the default for its
 * kind marked, and checked while the user chose none) and the mute choices, or Unmute while muted.
 */
export function renderConversationNotifications(item: ConversationListItem, actions: ConversationNotifyActions, now = Date.now()): TemplateResult {
  const fallback = defaultNotifyLevel(item.kind);
  const level = item.preferences.notify ?? fallback;
  const mutedUntil = item.preferences.mutedUntil ?? 0;
  const muted = mutedUntil > now;
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape') actions.close();
  };
  return html`<section class="notify-settings panel" aria-labelledby="notify-title" @keydown=${onKey}>
    <h2 id="notify-title">Notifications for ${item.title || item.room}</h2>
    <fieldset class="notify-levels">
      <legend>Notify me about</legend>
      ${(['all', 'mentions', 'none'] as const).map((value) => html`<label class="inline">
        <input type="radio" name="notify-level" value=${value} .checked=${level === value} @change=${() => actions.setLevel(value)} />
        ${LEVEL_LABELS[value]}${value === fallback ? html` <span class="default">(default)</span>` : nothing}
      </label>`)}
    </fieldset>
    <fieldset class="notify-mute">
      <legend>Mute</legend>
      ${muted
        ? html`<p class="notice" role="status">${mutedLabel(mutedUntil, now)}${level === 'mentions' ? ' Mentions of you still notify.' : ''}</p>
            <button type="button" class="unmute" @click=${() => actions.muteUntil(0)}>Unmute</button>`
        : html`<div class="actions" role="group" aria-label="Mute this conversation">
            ${MUTE_CHOICES.map((choice) => html`<button type="button" class="secondary" data-mute=${String(choice.value)}
              @click=${() => actions.muteUntil(choice.value === 'forever' ? MUTED_FOREVER : Date.now() + choice.value)}>${choice.label}</button>`)}
          </div>`}
    </fieldset>
    <div class="actions"><button type="button" class="secondary" @click=${actions.close}>Done</button></div>
  </section>`;
}

/** The account-wide notification state the sidebar shows. */
export interface GlobalNotifyState {
  permission: NotificationPermission | 'unsupported';
  push: PushStatus;
  /** A push failure in words (empty when none). */
  pushError: string;
  hideMessageText: boolean;
}

export interface GlobalNotifyActions {
  enable(): void;
  setHideMessageText(hide: boolean): void;
}

/**
 * The sidebar's notifications block: Enable while the browser may still ask (enabling also subscribes this
 * device to push), how to unblock when denied, push errors, and "hide message text" for every device.
 */
export function renderGlobalNotifications(state: GlobalNotifyState, actions: GlobalNotifyActions): TemplateResult {
  return html`<div class="notify-global">
    ${state.permission === 'default'
      ? html`<button type="button" class="secondary" @click=${actions.enable}>Enable notifications</button>`
      : nothing}
    ${state.permission === 'denied'
      ? html`<p class="notice" role="status">
          Notifications are blocked for this site. To get them, allow notifications in the browser's site settings (the icon left of the
          address), then come back to this tab.
        </p>`
      : nothing}
    ${state.pushError ? html`<p class="notice push-error" role="alert">${state.pushError}</p>` : nothing}
    ${state.push === 'registering' ? html`<p class="notice" role="status">Setting up notifications on this device…</p>` : nothing}
    <label class="inline hide-text">
      <input type="checkbox" .checked=${state.hideMessageText} @change=${(event: Event) => actions.setHideMessageText((event.target as HTMLInputElement).checked)} />
      Hide message text in notifications
    </label>
  </div>`;
}

/** Styles of the two views (added to <chat-app>'s styles). */
export const notificationSettingsStyles = css`
  .notify-global {
    display: flex;
    flex-direction: column;
    gap: 0.4em;
    width: 100%;
  }
  .notify-global label.inline,
  .notify-settings label.inline {
    display: flex;
    flex-direction: row;
    align-items: center;
    gap: 0.4em;
    font-size: 0.9em;
  }
  /* Placed like the members panel (chat-app.styles.ts). */
  .notify-settings fieldset {
    border: 0;
    padding: 0;
    margin: 0;
    display: flex;
    flex-direction: column;
    gap: 0.3em;
  }
  .notify-settings legend {
    font-weight: 600;
    margin-bottom: 0.2em;
  }
  .notify-settings .default {
    opacity: 0.7;
  }
  .notify-settings .actions {
    flex-wrap: wrap;
  }
`;
