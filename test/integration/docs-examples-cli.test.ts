/**
 * The examples of docs/cli.md run (docs/development.md, "Every example runs"), in a file of their
 * own so that they run beside the other pages' (test/support/doc-examples/run-pages.ts).
 */
import { describeExamples, pagesOf } from '../support/doc-examples/run-pages.js';

describeExamples(pagesOf('docs-examples-cli.test.ts'));
