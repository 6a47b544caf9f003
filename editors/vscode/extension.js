// The VS Code client: starts `netc lsp` over stdio for .net files and restarts it on a settings change.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const config = vscode.workspace.getConfiguration("netspec");
  const [command, ...args] = config.get("server.command", ["netc", "lsp"]);
  return { command, args, transport: TransportKind.stdio };
}

function clientOptions() {
  const config = vscode.workspace.getConfiguration("netspec");
  return {
    documentSelector: [{ language: "netspec" }],
    initializationOptions: { debounce_ms: config.get("checkDelayMs", 75) },
  };
}

async function start() {
  client = new LanguageClient("netspec", "netspec (netc lsp)", serverOptions(), clientOptions());
  try {
    await client.start();
  } catch (error) {
    vscode.window.showErrorMessage(
      `netspec: could not start \`${serverOptions().command} lsp\` (${error.message}). ` +
        "Set netspec.server.command to the netc of the environment where netspec is installed."
    );
  }
}

async function activate(context) {
  await start();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("netspec")) {
        if (client) await client.stop();
        await start();
      }
    })
  );
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
