#include "instructions_markdown.hpp"

#include <QRegularExpression>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QVector>

namespace boxlab::gui {

namespace {
bool indented(const QString& line) {
  return line.startsWith(QLatin1String("    ")) || line.startsWith(QLatin1Char('\t'));
}
bool blank(const QString& line) {
  return line.trimmed().isEmpty();
}
bool fence(const QString& line) {
  QString t = line.trimmed();
  return t.startsWith(QLatin1String("```")) || t.startsWith(QLatin1String("~~~"));
}
bool listItem(const QString& line) {
  static const QRegularExpression item(QStringLiteral("^\\s{0,3}([-*+]|\\d+[.)])\\s"));
  return item.match(line).hasMatch();
}

// A code line as Qt's Markdown import leaves it: a block of its own per line, carrying the
// code block's language (empty for an indented block) or fence.
bool codeBlock(const QTextBlock& b) {
  return b.blockFormat().hasProperty(QTextFormat::BlockCodeLanguage) ||
         b.blockFormat().hasProperty(QTextFormat::BlockCodeFence);
}
}  // namespace

QString separateCodeBlocks(const QString& markdown) {
  QStringList lines = markdown.split(QLatin1Char('\n'));
  QStringList out;
  bool inFence = false, inParagraph = false, paragraphIsList = false, inCode = false;
  for (const QString& line : lines) {
    if (fence(line)) {
      inFence = !inFence;
      inParagraph = false;
      out << line;
      continue;
    }
    if (inFence) {
      out << line;
      continue;
    }
    if (blank(line)) {
      inParagraph = false;
      inCode = false;
      out << line;
      continue;
    }
    if (indented(line) && !inCode) {
      if (inParagraph && !paragraphIsList) {
        out << QString();  // the code block the text meant
        inCode = true;
        inParagraph = false;
      } else if (!inParagraph) {
        inCode = !paragraphIsList;
      }
      out << line;
      continue;
    }
    if (inCode && indented(line)) {
      out << line;
      continue;
    }
    if (inCode) {  // prose right under a code block: CommonMark starts a paragraph anyway
      inCode = false;
      out << QString();
    }
    if (!inParagraph) paragraphIsList = listItem(line);
    inParagraph = true;
    out << line;
  }
  return out.join(QLatin1Char('\n'));
}

QStringList renderInstructions(QTextDocument* doc, const QString& markdown) {
  doc->setMarkdown(separateCodeBlocks(markdown));
  QStringList commands;
  QTextCharFormat link;
  link.setAnchor(true);
  link.setForeground(QColor(0x1a, 0x6f, 0xc4));
  link.setFontFixedPitch(false);
  link.setFontUnderline(false);
  link.setToolTip(QObject::tr("Copy this command"));
  QTextCursor cursor(doc);
  cursor.beginEditBlock();
  for (QTextBlock b = doc->begin(); b.isValid(); b = b.next()) {
    if (!codeBlock(b)) continue;
    // A shaded band under each command, in either palette.
    QTextBlockFormat shade;
    shade.setBackground(QColor(127, 127, 127, 40));
    cursor.setPosition(b.position());
    cursor.mergeBlockFormat(shade);
    // Qt keeps a code block's lines in one block, split by line separators.
    QString text = b.text();
    text.replace(QChar::LineSeparator, QLatin1Char('\n'));
    QStringList lines = text.split(QLatin1Char('\n'));
    // From the last line back, so earlier positions stay right.
    int pos = b.position() + b.length() - 1;
    for (int i = int(lines.size()) - 1; i >= 0; --i) {
      QString command = lines[i].trimmed();
      if (!command.isEmpty()) {
        QTextCharFormat f = link;
        f.setAnchorHref(QLatin1String(kCopyScheme));  // numbered below
        f.setProperty(QTextFormat::UserProperty, command);
        cursor.setPosition(pos);
        cursor.insertText(QStringLiteral("  [copy]"), f);
      }
      pos -= int(lines[i].size()) + 1;
    }
  }
  cursor.endEditBlock();
  // Number the links in document order (collected first: changing a format while walking the
  // fragments would split them under the walk).
  struct Link {
    int pos, length;
    QTextCharFormat format;
  };
  QVector<Link> links;
  for (QTextBlock b = doc->begin(); b.isValid(); b = b.next())
    for (auto it = b.begin(); !it.atEnd(); ++it) {
      QTextFragment frag = it.fragment();
      if (frag.charFormat().anchorHref() == QLatin1String(kCopyScheme))
        links.push_back({frag.position(), frag.length(), frag.charFormat()});
    }
  for (Link& l : links) {
    QTextCursor c(doc);
    c.setPosition(l.pos);
    c.setPosition(l.pos + l.length, QTextCursor::KeepAnchor);
    l.format.setAnchorHref(
        QStringLiteral("%1:%2").arg(QLatin1String(kCopyScheme)).arg(commands.size()));
    commands << l.format.property(QTextFormat::UserProperty).toString();
    c.setCharFormat(l.format);
  }
  return commands;
}

}  // namespace boxlab::gui
