/**
 * The app's entry: registers the root component under the name the native projects start
 * (app.json `name`; a project made with `react-native init TimRsExample` uses the same).
 */
import { AppRegistry } from 'react-native';
import App from './App';
import { name as appName } from './app.json';

AppRegistry.registerComponent(appName, () => App);
