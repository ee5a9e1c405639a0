/**
 * Scopes in TypeScript source: where `this` is rebound, whether an identifier is used as a value,
 * and whether a value reference is free (declared nowhere in the file, so it names a global, a
 * parameter of the notebook, or something the file forgot to import).
 */
import ts from "typescript";

/**
 * Nodes inside which `this` means something other than the step's flow object: functions, methods,
 * accessors and classes. Arrow functions keep the step's `this`. The one list for every reader of
 * step bodies (the flow parser, the lint, notebook convert).
 */
export function rebindsThis(n: ts.Node): boolean {
  return (
    ts.isFunctionDeclaration(n) ||
    ts.isFunctionExpression(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isConstructorDeclaration(n) ||
    ts.isGetAccessorDeclaration(n) ||
    ts.isSetAccessorDeclaration(n) ||
    ts.isClassDeclaration(n) ||
    ts.isClassExpression(n) ||
    ts.isClassStaticBlockDeclaration(n)
  );
}

/** True for an identifier used as a value (not a property name, declaration name, label or type). */
export function isValueReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if (ts.isQualifiedName(p)) return false;
  if (ts.isBindingElement(p) && (p.propertyName === id || p.name === id)) return false;
  if (
    (ts.isPropertyAssignment(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isGetAccessorDeclaration(p) ||
      ts.isSetAccessorDeclaration(p) ||
      ts.isPropertySignature(p) ||
      ts.isMethodSignature(p) ||
      ts.isEnumMember(p) ||
      ts.isVariableDeclaration(p) ||
      ts.isParameter(p) ||
      ts.isFunctionDeclaration(p) ||
      ts.isFunctionExpression(p) ||
      ts.isClassDeclaration(p) ||
      ts.isClassExpression(p) ||
      ts.isInterfaceDeclaration(p) ||
      ts.isTypeAliasDeclaration(p) ||
      ts.isEnumDeclaration(p) ||
      ts.isModuleDeclaration(p) ||
      ts.isTypeParameterDeclaration(p) ||
      ts.isImportSpecifier(p) ||
      ts.isImportClause(p) ||
      ts.isNamespaceImport(p) ||
      ts.isImportEqualsDeclaration(p) ||
      ts.isExportSpecifier(p) ||
      ts.isLabeledStatement(p) ||
      ts.isBreakOrContinueStatement(p) ||
      ts.isJsxAttribute(p)) &&
    (p as { name?: ts.Node }).name === id
  ) {
    return false;
  }
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p) || ts.isMetaProperty(p)) return false;
  for (let n: ts.Node = p; !ts.isSourceFile(n); n = n.parent) {
    if (ts.isTypeNode(n) && !ts.isExpressionWithTypeArguments(n)) return false;
  }
  return true;
}

/**
 * Resolves identifiers against the cell's own declarations. With no lib loaded, a reference
 * with no symbol is free: it names something outside the cell (`self`, a parameter, a global).
 */
function freeChecker(sf: ts.SourceFile): (id: ts.Identifier) => boolean {
  const host: ts.CompilerHost = {
    getSourceFile: (name) => (name === sf.fileName ? sf : undefined),
    getDefaultLibFileName: () => "lib.d.ts",
    writeFile: () => {},
    getCurrentDirectory: () => "/",
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
    fileExists: (f) => f === sf.fileName,
    readFile: () => undefined,
  };
  const program = ts.createProgram({
    rootNames: [sf.fileName],
    options: { noLib: true, noResolve: true, types: [], target: ts.ScriptTarget.Latest },
    host,
  });
  const checker = program.getTypeChecker();
  return (id) => {
    const p = id.parent;
    const sym =
      ts.isShorthandPropertyAssignment(p) && p.name === id ? checker.getShorthandAssignmentValueSymbol(p) : checker.getSymbolAtLocation(id);
    return sym === undefined;
  };
}

/** Names the cell declares anywhere (variables, parameters, functions, classes, imports). */
function declaredNames(sf: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (n: ts.Node): void => {
    const name = (n as { name?: ts.Node }).name;
    if (name && ts.isIdentifier(name) && !isValueReference(name)) names.add(name.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return names;
}

/**
 * Resolving scopes needs a type checker (~15 ms a cell); most cells never declare the names
 * that matter, so it is only built when a name is both referenced and declared.
 */
export function lazyFreeChecker(sf: ts.SourceFile): (id: ts.Identifier) => boolean {
  let declared: Set<string> | undefined;
  let checker: ((id: ts.Identifier) => boolean) | undefined;
  return (id) => {
    declared ??= declaredNames(sf);
    if (!declared.has(id.text)) return true;
    checker ??= freeChecker(sf);
    return checker(id);
  };
}
