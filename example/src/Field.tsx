import { StyleSheet, Text, TextInput, type TextInputProps, View } from 'react-native';

interface FieldProps extends Pick<TextInputProps, 'keyboardType' | 'placeholder'> {
  label: string;
  value: string;
  onChangeText: (text: string) => void;
}

/**
 * A labelled one-line text input. Auto-capitalisation and auto-correction are off: every field
 * here (URL, ID, ticket) is an identifier that a keyboard's "help" would corrupt.
 */
export function Field({ label, ...input }: FieldProps) {
  return (
    <View style={styles.row}>
      <Text style={styles.label}>{label}</Text>
      <TextInput
        style={styles.input}
        autoCapitalize="none"
        autoCorrect={false}
        spellCheck={false}
        accessibilityLabel={label}
        {...input}
      />
    </View>
  );
}

const styles = StyleSheet.create({
  row: { flexDirection: 'row', alignItems: 'center', marginVertical: 3 },
  label: { width: 84, fontSize: 14, color: '#333' },
  input: {
    flex: 1,
    borderWidth: StyleSheet.hairlineWidth,
    borderColor: '#999',
    borderRadius: 4,
    paddingHorizontal: 8,
    paddingVertical: 6,
    fontSize: 14,
    color: '#000',
  },
});
