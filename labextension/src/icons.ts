import { LabIcon } from '@jupyterlab/ui-components';

// The jp-icon3 class lets the theme recolour the glyph, as it does for core icons.
const chatSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h10V9H7zm0 4v2h7v-2H7zm0-8v2h10V5H7z"/>
</svg>`;

export const chatIcon = new LabIcon({
  name: 'jupyter-chat-ext:chat',
  svgstr: chatSvg
});
