import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['lib/**', 'node_modules/**', 'example/**', 'rust/**', 'target/**'] },
  ...tseslint.configs.strict,
);
