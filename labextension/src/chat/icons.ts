import { LabIcon } from '@jupyterlab/ui-components';

// The jp-icon3 class lets the theme recolour the glyph, as it does for core icons.
export const sendIcon = new LabIcon({
  name: 'jupyter-chat-ext:send',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M3 20.5V14l9-2-9-2V3.5L22 12z"/>
</svg>`
});

export const backIcon = new LabIcon({
  name: 'jupyter-chat-ext:back',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20z"/>
</svg>`
});
