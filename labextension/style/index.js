import './base.css';
import './chat-list.css';
import './screens.css';
import './chat-view.css';
import './model-selector.css';
import './reasoning.css';
import './chat-settings.css';
