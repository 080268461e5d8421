// The one line the package's README tells apps to add.
jest.mock('react-native-tim-rs', () => require('react-native-tim-rs/jest'));
