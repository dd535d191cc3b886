// A lab's instructions as the learner reads them: Markdown whose commands (indented or fenced
// code blocks) show one per line, each with a copy link.
#pragma once

#include <QString>
#include <QStringList>

class QTextDocument;

namespace boxlab::gui {

// An indented block right after a paragraph line is, to CommonMark, more of that paragraph
// (a code block cannot interrupt one), so "...leave out.)\n    boxlab exec ..." renders as one
// run-on line. The lab texts mean a code block there: a blank line is put in before it (not in
// list items, where indentation continues the item, nor inside fenced blocks).
QString separateCodeBlocks(const QString& markdown);

// The copy links' scheme: "boxlab-copy:N" copies commands[N].
inline constexpr char kCopyScheme[] = "boxlab-copy";

// Renders `markdown` (after separateCodeBlocks) into `doc` and adds a copy link at the end of
// every non-empty code line; returns the lines, in order (link N copies element N).
QStringList renderInstructions(QTextDocument* doc, const QString& markdown);

}  // namespace boxlab::gui
