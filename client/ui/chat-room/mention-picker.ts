// The composer's @mention picker: typing `@` offers the conversation's members (ARIA listbox with active descendant), choosing inserts `@Name `.
import { html, nothing, type TemplateResult } from 'lit';
import type { Conversation, ConversationState } from '../../index.js';
import { filterMentionables, mentionableIn, mentionQueryAt, mentionsInText, mentionText, type Mentionable } from '../../../shared/mentions.js';
import { getRoster } from '../../../shared/roster.js';
import { LIMITS } from '../../../shared/schema.js';

/** The listbox's id, referenced by the textarea's `aria-controls`. */
const LIST_ID = 'mention-options';
const optionId = (index: number): string => `mention-option-${index}`;

/**
 * The people one may mention here, by display name: everyone with a profile or a roster entry whom the shared
 * rule accepts (shared/mentions.ts `mentionableIn`), but not oneself.
 */
export function mentionCandidates(conversation: Conversation | undefined, state: ConversationState | undefined): Mentionable[] {
  if (!conversation || !state) return [];
  const members = mentionableIn(conversation.doc);
  const ids = new Set([...state.profiles.keys(), ...getRoster(conversation.doc).keys()]);
  const people: Mentionable[] = [];
  for (const id of ids) {
    if (id === state.userId || !members.isMember(id)) continue;
    people.push({ id, name: state.profiles.get(id)?.name ?? id });
  }
  return people.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The picker's state: which `@query` is open, its options and the active one, and the people chosen for the
 * draft (id → the name inserted). The host owns the textarea and re-renders on `changed`.
 */
export class MentionPicker {
  /** Options shown now (empty: closed). */
  options: Mentionable[] = [];
  active = 0;
  private at = -1;
  private readonly chosen = new Map<string, string>();

  constructor(
    private readonly candidates: () => Mentionable[],
    private readonly changed: () => void,
  ) {}

  get open(): boolean {
    return this.options.length > 0;
  }

  /** Re-reads the `@query` before the caret after input or a caret move. */
  update(input: HTMLTextAreaElement): void {
    const found = input.selectionStart === input.selectionEnd ? mentionQueryAt(input.value, input.selectionStart) : undefined;
    const options = found ? filterMentionables(this.candidates(), found.query) : [];
    if (options.length === 0 && !this.open) return;
    this.at = found?.at ?? -1;
    this.options = options;
    this.active = Math.min(this.active, Math.max(0, options.length - 1));
    this.changed();
  }

  close(): void {
    if (!this.open) return;
    this.options = [];
    this.active = 0;
    this.changed();
  }

  /** Handles Up/Down/Enter/Tab/Escape while open; returns whether the key was the picker's. */
  keydown(event: KeyboardEvent, input: HTMLTextAreaElement): boolean {
    if (!this.open) return false;
    const n = this.options.length;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      this.active = (this.active + (event.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.changed();
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      this.choose(this.options[this.active]!, input);
    } else if (event.key === 'Escape') {
      this.close();
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  /** Replaces the `@query` by `@Name ` and remembers the person's id. */
  choose(person: Mentionable, input: HTMLTextAreaElement): void {
    const caret = input.selectionStart;
    const inserted = `${mentionText(person.name)} `;
    input.setRangeText(inserted, this.at, caret, 'end');
    this.chosen.set(person.id, person.name);
    this.options = [];
    this.active = 0;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.focus();
    this.changed();
  }

  /** Takes a message's mentions back (editing it): their names as the text shows them. */
  seed(mentions: readonly string[] | undefined, nameOf: (id: string) => string): void {
    this.chosen.clear();
    for (const id of mentions ?? []) this.chosen.set(id, nameOf(id));
  }

  /**
   * The ids to send with `text`: the people chosen whose `@Name` is still in it, then members whose `@Name` was
   * typed in full without the picker (a name already chosen stands for the person chosen, not a namesake).
   */
  mentionsFor(text: string): string[] {
    const chosen = [...this.chosen].map(([id, name]) => ({ id, name }));
    const names = new Set(chosen.map((p) => p.name.toLowerCase()));
    const typed = this.candidates().filter((p) => !names.has(p.name.toLowerCase()));
    return [...new Set([...mentionsInText(text, chosen), ...mentionsInText(text, typed)])].slice(0, LIMITS.mentions);
  }

  /** Forgets the chosen people (after sending). */
  reset(): void {
    this.chosen.clear();
    this.options = [];
    this.active = 0;
  }

  /**
   * The textarea's `aria-activedescendant`. The textarea keeps its native textbox role (with `aria-autocomplete`,
   * `aria-haspopup` and `aria-controls`): `role="combobox"` and `aria-expanded` are not allowed on a textarea
   * (HTML-ARIA; axe flags both), so the open state is told by the live count and the active option.
   */
  get aria(): { activedescendant: string | typeof nothing } {
    return { activedescendant: this.open ? optionId(this.active) : nothing };
  }

  readonly listId = LIST_ID;

  /** The listbox (when open) and a polite live count of the options. */
  render(input: () => HTMLTextAreaElement | null | undefined): TemplateResult {
    const count = this.open ? `${this.options.length} ${this.options.length === 1 ? 'person' : 'people'} to mention` : '';
    return html`<div class="visually-hidden" role="status" aria-live="polite">${count}</div>${this.open
      ? html`<ul class="mention-picker" part="mention-picker" id=${LIST_ID} role="listbox" aria-label="Mention someone">
          ${this.options.map(
            (person, i) => html`<li
              id=${optionId(i)}
              role="option"
              part="mention-option"
              aria-selected=${i === this.active ? 'true' : 'false'}
              data-user=${person.id}
              @mousedown=${(event: Event) => event.preventDefault()}
              @click=${() => { const el = input(); if (el) this.choose(person, el); }}
            >${person.name}${person.name !== person.id ? html` <small>${person.id}</small>` : nothing}</li>`,
          )}
        </ul>`
      : nothing}`;
  }
}
