export { ROOT, type Resource, type Template, functionsOf, loadTemplate } from '../../local/template';
