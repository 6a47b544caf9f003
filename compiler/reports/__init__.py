"""The words of every diagnostic the compiler's passes report: one module per family of codes, one function per problem.

The passes decide *that* something is wrong and hand the facts (names, spans, counts) to a
function here, which decides *how it reads* — message, label, help, notes — and returns the
`Diagnostic`. This is Elm's `toReport`: a reader who wants to change what a user sees for a code
opens one module. A layer's own shape and argument messages are facts about that layer and live
in its catalog entry (compiler/catalog/), next to the rule that raises them.
"""
