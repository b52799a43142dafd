// Look of attachments in <chat-room>: image previews, file chips, the staged files of the composer, the viewer and the drop zone.
import { css } from 'lit';

export const attachmentStyles = css`
  .attachments {
    display: flex;
    flex-wrap: wrap;
    gap: 0.3em;
    margin: 0 0 0.3em;
  }
  .image {
    display: block;
    padding: 0;
    border: 0;
    border-radius: calc(var(--_radius) * 0.6);
    overflow: hidden;
    background: color-mix(in srgb, currentColor 12%, transparent);
    cursor: zoom-in;
    max-width: 100%;
    flex: none;
  }
  .image img {
    display: block;
    width: 100%;
    height: 100%;
    object-fit: cover;
  }
  .image:focus-visible,
  .file:focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
  }
  .image-placeholder {
    display: block;
    width: 100%;
    height: 100%;
  }
  .file {
    display: grid;
    grid-template-columns: auto 1fr;
    column-gap: 0.5em;
    align-items: center;
    min-width: 10em;
    max-width: 100%;
    padding: 0.35em 0.6em;
    border-radius: calc(var(--_radius) * 0.6);
    background: color-mix(in srgb, currentColor 10%, transparent);
    color: inherit;
    text-decoration: none;
  }
  .file-icon {
    grid-row: span 2;
    font-size: 1.5em;
  }
  .file-name {
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .file-meta {
    font-size: 0.8em;
    opacity: 0.8;
  }
  .upload {
    flex-basis: 100%;
    height: 0.4em;
  }
  .staged {
    display: flex;
    flex-wrap: wrap;
    gap: 0.3em;
    padding: 0.3em 0.6em 0;
  }
  .staged-file {
    display: inline-flex;
    align-items: center;
    gap: 0.3em;
    max-width: 14em;
    padding: 0.15em 0.2em 0.15em 0.5em;
    border: 1px solid var(--_border);
    border-radius: 999px;
    font-size: 0.85em;
  }
  .staged-file span {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .staged-file button,
  .attach {
    border: 0;
    background: transparent;
    color: inherit;
    cursor: pointer;
  }
  .attach {
    font-size: 1.2em;
    padding: 0.3em 0.35em;
    border-radius: calc(var(--_radius) * 0.8);
  }
  .attach:focus-visible {
    outline: 2px solid var(--_focus);
  }
  .file-input {
    display: none;
  }
  :host([data-dropping]) .log {
    outline: 3px dashed var(--_accent);
    outline-offset: -6px;
  }
  .viewer {
    position: absolute;
    inset: 0;
    z-index: 10;
    display: flex;
    flex-direction: column;
    align-items: center;
    justify-content: center;
    gap: 0.5em;
    background: rgb(0 0 0 / 0.85);
    color: #fff;
  }
  .viewer:focus {
    outline: none;
  }
  .viewer-image {
    max-width: 100%;
    max-height: calc(100% - 3.5em);
    width: auto;
    height: auto;
    object-fit: contain;
  }
  .viewer-bar {
    display: flex;
    align-items: center;
    gap: 0.6em;
    max-width: 100%;
  }
  .viewer-bar button,
  .viewer-bar a {
    color: #fff;
    background: rgb(255 255 255 / 0.15);
    border: 0;
    border-radius: 6px;
    padding: 0.3em 0.7em;
    cursor: pointer;
    text-decoration: none;
    font: inherit;
  }
  .viewer-name {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
`;
