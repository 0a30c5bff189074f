/**
 * The examples of docs/server.md run (docs/development.md, "Every example runs"), in a file of their
 * own so that they run beside the other pages' (test/support/doc-examples/run-pages.ts).
 */
import { describeExamples, pagesOf } from '../support/doc-examples/run-pages.js';

describeExamples(pagesOf('docs-examples-server.test.ts'));
