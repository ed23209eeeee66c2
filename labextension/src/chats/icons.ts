import { LabIcon } from '@jupyterlab/ui-components';

// The jp-icon3 class lets the theme recolour the glyph, as it does for core icons.
export const pinIcon = new LabIcon({
  name: 'jupyter-chat-ext:pin',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M16 3v2h-1v6l3 3v2h-5v6l-1 1-1-1v-6H6v-2l3-3V5H8V3h8z"/>
</svg>`
});
