import { render } from 'preact';
import { App } from './app';
import './styles.css';
import { session } from './session';
import './realtime';

render(<App />, document.getElementById('app')!);
void session.start();
