import { render } from 'preact';
import { App } from './app';
import './styles.css';
import { session } from './session';
import './realtime';
import { loadClinic } from './clinic';

render(<App />, document.getElementById('app')!);
void session.start();
// The clinic's name, logo and colours: the shell shows Telecare's own until they arrive.
void loadClinic();
