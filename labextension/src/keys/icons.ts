import { LabIcon } from '@jupyterlab/ui-components';

// The jp-icon3 class lets the theme recolour the glyph, as it does for core icons.
export const keyIcon = new LabIcon({
  name: 'jupyter-chat-ext:key',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M7 14a2 2 0 1 1 0-4 2 2 0 0 1 0 4zm5.65-4A6 6 0 1 0 12.65 14H16v4h4v-4h2v-4h-9.35z"/>
</svg>`
});
