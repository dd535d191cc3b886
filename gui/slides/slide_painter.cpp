#include "slide_painter.hpp"

#include <QAbstractTextDocumentLayout>
#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QRegularExpression>
#include <QStringList>
#include <QSyntaxHighlighter>
#ifdef BOXLAB_HAVE_QT_SVG
#include <QSvgRenderer>
#endif
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QTextTable>

namespace boxlab::gui {
namespace {

constexpr double kMargin = 80;
const QColor kAccent(0x4a, 0x6f, 0xa5);
const QColor kInk(0x22, 0x22, 0x22);
const QColor kMuted(0x77, 0x77, 0x77);

QFont font_px(const QString& family, double px, bool bold = false) {
  QFont f(family);
  f.setPixelSize(static_cast<int>(px));
  f.setBold(bold);
  f.setStyleHint(QFont::SansSerif);
  // No "fi" ligatures: handout text stays searchable and copies as typed.
  f.setStyleStrategy(QFont::PreferNoShaping);
  return f;
}

const QRegularExpression& image_line() {
  static const QRegularExpression re(R"(^\s*!\[[^\]]*\]\([^)]*\)\s*$)");
  return re;
}

// Draws `doc` (laid out at its own width) into `area`, shrunk to fit when it is too tall: the
// text never leaves the slide, however long the author made it.
void draw_fitted(QPainter& p, QTextDocument& doc, const QRectF& area, Qt::Alignment align = {}) {
  double scale = 1.0;
  doc.setTextWidth(area.width());
  for (int i = 0; i < 6; ++i) {
    // Code lines and tables do not wrap: shrink until the widest line fits...
    if (double w = doc.idealWidth() * scale; w > area.width() + 0.5) {
      scale *= area.width() / w;
      doc.setTextWidth(area.width() / scale);
      continue;
    }
    // ...and until the whole text fits the height.
    if (double h = doc.size().height() * scale; h > area.height() + 0.5) {
      scale *= area.height() / h * 0.98;
      doc.setTextWidth(area.width() / scale);
      continue;
    }
    break;
  }
  p.save();
  double h = doc.size().height() * scale;
  double y = area.top();
  if (align & Qt::AlignVCenter) y += (area.height() - h) / 2;
  p.translate(area.left(), y);
  p.scale(scale, scale);
  p.setClipRect(QRectF(0, 0, area.width() / scale, area.height() / scale));
  doc.drawContents(&p);
  p.restore();
}

// Code blocks, lightly: the command word of a shell line, quoted strings and comments; the keys
// of YAML. Enough for a projector; not a lexer.
class CodeHighlighter : public QSyntaxHighlighter {
 public:
  using QSyntaxHighlighter::QSyntaxHighlighter;

 protected:
  void highlightBlock(const QString& text) override {
    const QTextBlockFormat bf = currentBlock().blockFormat();
    if (!bf.hasProperty(QTextFormat::BlockCodeFence)) return;
    const QString lang = bf.stringProperty(QTextFormat::BlockCodeLanguage);
    QTextCharFormat key;
    key.setForeground(kAccent);
    key.setFontWeight(QFont::Bold);
    if (lang == QLatin1String("yaml")) {
      static const QRegularExpression re(QStringLiteral(R"(^\s*(?:-\s+)?([A-Za-z0-9_.-]+):)"));
      if (auto m = re.match(text); m.hasMatch())
        setFormat(m.capturedStart(1), m.capturedLength(1), key);
      return;
    }
    if (lang != QLatin1String("sh") && lang != QLatin1String("bash") &&
        lang != QLatin1String("shell"))
      return;
    static const QRegularExpression command(QStringLiteral(R"(^\s*([^\s#]+))"));
    if (auto m = command.match(text); m.hasMatch())
      setFormat(m.capturedStart(1), m.capturedLength(1), key);
    QTextCharFormat str;
    str.setForeground(QColor(0x3c, 0x7a, 0x3c));
    static const QRegularExpression quoted(QStringLiteral(R"('[^']*'|"[^"]*")"));
    for (auto it = quoted.globalMatch(text); it.hasNext();) {
      auto m = it.next();
      setFormat(m.capturedStart(), m.capturedLength(), str);
    }
    static const QRegularExpression comment(QStringLiteral(R"((^|\s)(#.*)$)"));
    if (auto m = comment.match(text); m.hasMatch()) {
      QTextCharFormat c;
      c.setForeground(kMuted);
      setFormat(m.capturedStart(2), m.capturedLength(2), c);
    }
  }
};

std::unique_ptr<QTextDocument> make_doc(const QString& markdown, double px, QColor ink) {
  auto doc = std::make_unique<QTextDocument>();
  doc->setDefaultFont(font_px(QStringLiteral("DejaVu Sans"), px));
  doc->setDocumentMargin(0);
  doc->setMarkdown(markdown, QTextDocument::MarkdownDialectGitHub);
  // Monospace for code, from the same family so the PDF carries two fonts, both embedded.
  QTextCursor c(doc.get());
  for (QTextBlock b = doc->begin(); b.isValid(); b = b.next()) {
    QTextBlockFormat bf = b.blockFormat();
    bool code =
        b.blockFormat().hasProperty(QTextFormat::BlockCodeFence) || b.charFormat().fontFixedPitch();
    for (auto it = b.begin(); !it.atEnd(); ++it) {
      QTextFragment f = it.fragment();
      QTextCharFormat cf = f.charFormat();
      bool mono = code || cf.fontFixedPitch() ||
                  cf.fontFamilies().toStringList().contains(QStringLiteral("monospace"));
      QTextCharFormat nf;
      nf.setForeground(cf.isAnchor() ? QBrush(kAccent) : QBrush(ink));
      if (mono) {
        nf.setFontFamilies({QStringLiteral("DejaVu Sans Mono")});
      }
      c.setPosition(f.position());
      c.setPosition(f.position() + f.length(), QTextCursor::KeepAnchor);
      c.mergeCharFormat(nf);
      if (mono) {
        QTextCharFormat sized;
        QFont mf = font_px(QStringLiteral("DejaVu Sans Mono"), code ? px * 0.8 : px * 0.88);
        sized.setFont(mf, QTextCharFormat::FontPropertiesSpecifiedOnly);
        c.mergeCharFormat(sized);
      }
    }
    if (code) {
      bf.setBackground(QColor(0xf3, 0xf3, 0xf3));
    } else {
      bf.setBottomMargin(px * 0.3);  // air between bullets and paragraphs
    }
    QTextCursor bc(b);
    bc.setBlockFormat(bf);
  }
  // Tables: room inside the cells, light rules.
  for (QTextFrame* f : doc->rootFrame()->childFrames())
    if (auto* t = qobject_cast<QTextTable*>(f)) {
      QTextTableFormat tf = t->format();
      tf.setCellPadding(px * 0.2);
      tf.setCellSpacing(0);
      tf.setBorderCollapse(true);
      tf.setBorderBrush(QColor(0xbb, 0xbb, 0xbb));
      t->setFormat(tf);
    }
  // Owned by the document; rehighlight now, not on the event loop (there is none in export).
  (new CodeHighlighter(doc.get()))->rehighlight();
  return doc;
}

void draw_image(QPainter& p, const QString& file, const QString& alt, const QRectF& area) {
  if (file.endsWith(QLatin1String(".svg"), Qt::CaseInsensitive)) {
#ifndef BOXLAB_HAVE_QT_SVG
    p.setPen(QPen(kMuted, 2, Qt::DashLine));
    p.drawRect(area.adjusted(2, 2, -2, -2));
    p.setFont(font_px(QStringLiteral("DejaVu Sans"), 30));
    p.drawText(area, Qt::AlignCenter | Qt::TextWordWrap, alt);
    return;
#else
    Q_UNUSED(alt);
    QSvgRenderer svg(file);
    if (!svg.isValid()) return;
    QSizeF s = svg.defaultSize();
    svg.render(&p, fit_rect(area, s.width(), s.height()));
    return;
#endif
  }
  QImage img(file);
  if (img.isNull()) return;
  p.drawImage(fit_rect(area, img.width(), img.height()), img);
}

}  // namespace

QRectF fit_rect(const QRectF& outer, double w, double h) {
  if (w <= 0 || h <= 0) return outer;
  double s = std::min(outer.width() / w, outer.height() / h);
  QSizeF size(w * s, h * s);
  return QRectF(outer.center().x() - size.width() / 2, outer.center().y() - size.height() / 2,
                size.width(), size.height());
}

QString SlidePainter::body_markdown(const slides::Slide& s) {
  QStringList out;
  bool title_seen = false;
  bool in_code = false;
  for (const QString& line : QString::fromStdString(s.body).split(QLatin1Char('\n'))) {
    QString t = line.trimmed();
    if (t.startsWith(QLatin1String("```")) || t.startsWith(QLatin1String("~~~"))) {
      in_code = !in_code;
      // A demo block reads as shell commands.
      if (in_code && t.mid(3).trimmed() == QLatin1String("demo")) {
        out << t.left(3) + QStringLiteral("sh");
        continue;
      }
    }
    if (!in_code && !title_seen && !s.title.empty() && t.startsWith(QLatin1Char('#'))) {
      title_seen = true;
      continue;
    }
    if (!in_code && image_line().match(line).hasMatch()) continue;
    out << line;
  }
  return out.join(QLatin1Char('\n')).trimmed();
}

void SlidePainter::paint_canvas(QPainter& p, int index) const {
  const slides::Slide& s = deck_.slides.at(static_cast<size_t>(index));
  p.fillRect(QRectF(0, 0, kWidth, kHeight), Qt::white);
  p.fillRect(QRectF(0, 0, kWidth, 14), kAccent);
  QString title = QString::fromStdString(s.title);
  QString body = body_markdown(s);
  QDir base = QFileInfo(QString::fromStdString(deck_.file.string())).absoluteDir();

  if (s.title_level == 1) {  // a title slide: centred, large
    p.setPen(kInk);
    p.setFont(font_px(QStringLiteral("DejaVu Sans"), 80, true));
    QRectF title_box(kMargin, 220, kWidth - 2 * kMargin, 260);
    p.drawText(title_box, Qt::AlignHCenter | Qt::AlignBottom | Qt::TextWordWrap, title);
    p.fillRect(QRectF(kWidth / 2 - 120, 510, 240, 6), kAccent);
    auto doc = make_doc(body, 40, kMuted);
    doc->setDefaultTextOption(QTextOption(Qt::AlignHCenter));
    draw_fitted(p, *doc, QRectF(kMargin, 560, kWidth - 2 * kMargin, 220));
  } else {
    p.setPen(kInk);
    p.setFont(font_px(QStringLiteral("DejaVu Sans"), 56, true));
    QRectF title_box(kMargin, 50, kWidth - 2 * kMargin, 90);
    p.drawText(title_box, Qt::AlignLeft | Qt::AlignVCenter | Qt::TextWordWrap, title);
    p.fillRect(QRectF(kMargin, 148, 160, 5), kAccent);
    QRectF area(kMargin, 190, kWidth - 2 * kMargin, 640);
    if (!s.images.empty()) {
      QRectF img_area = area;
      if (!body.isEmpty()) {
        auto doc = make_doc(body, 40, kInk);
        QRectF text_area(area.left(), area.top(), area.width(), area.height() * 0.4);
        doc->setTextWidth(area.width());
        double h = std::min(doc->size().height(), text_area.height());
        text_area.setHeight(h);
        draw_fitted(p, *doc, text_area);
        img_area.setTop(text_area.bottom() + 20);
      }
      draw_image(p, base.filePath(QString::fromStdString(s.images.front().path)),
                 QString::fromStdString(s.images.front().alt), img_area);
    } else {
      auto doc = make_doc(body, 46, kInk);
      draw_fitted(p, *doc, area);
    }
  }
  p.setPen(kMuted);
  p.setFont(font_px(QStringLiteral("DejaVu Sans"), 20));
  QRectF footer(kMargin, kHeight - 50, kWidth - 2 * kMargin, 30);
  p.drawText(footer, Qt::AlignLeft | Qt::AlignVCenter, QString::fromStdString(deck_.title));
  p.drawText(footer, Qt::AlignRight | Qt::AlignVCenter,
             QStringLiteral("%1 / %2").arg(index + 1).arg(deck_.slides.size()));
}

void SlidePainter::paint_slide(QPainter& p, int index, const QRectF& target) const {
  QRectF r = fit_rect(target, kWidth, kHeight);
  p.save();
  p.translate(r.topLeft());
  p.scale(r.width() / kWidth, r.height() / kHeight);
  p.setClipRect(QRectF(0, 0, kWidth, kHeight));
  p.setRenderHint(QPainter::Antialiasing);
  p.setRenderHint(QPainter::TextAntialiasing);
  paint_canvas(p, index);
  p.restore();
}

void SlidePainter::paint_notes(QPainter& p, int index, const QRectF& target, double font_px) const {
  const slides::Slide& s = deck_.slides.at(static_cast<size_t>(index));
  QString notes = QString::fromStdString(s.notes).trimmed();
  if (notes.isEmpty()) notes = QStringLiteral("*(no notes)*");
  auto doc = make_doc(notes, font_px, kInk);
  draw_fitted(p, *doc, target);
}

void SlidePainter::paint_notes_page(QPainter& p, int index, const QRectF& target) const {
  QRectF r = fit_rect(target, kWidth, kHeight);
  p.save();
  p.translate(r.topLeft());
  p.scale(r.width() / kWidth, r.height() / kHeight);
  p.fillRect(QRectF(0, 0, kWidth, kHeight), Qt::white);
  QRectF thumb(60, 60, 720, 405);
  paint_slide(p, index, thumb);
  p.setPen(QPen(kMuted, 2));
  p.drawRect(thumb);
  p.setPen(kMuted);
  p.setFont(font_px(QStringLiteral("DejaVu Sans"), 22));
  p.drawText(QRectF(60, 480, 720, 40), Qt::AlignLeft | Qt::AlignVCenter,
             QStringLiteral("Slide %1 of %2: %3")
                 .arg(index + 1)
                 .arg(deck_.slides.size())
                 .arg(QString::fromStdString(deck_.slides.at(static_cast<size_t>(index)).title)));
  p.setPen(kInk);
  p.setFont(font_px(QStringLiteral("DejaVu Sans"), 30, true));
  p.drawText(QRectF(830, 50, 710, 50), Qt::AlignLeft | Qt::AlignVCenter,
             QStringLiteral("Speaker notes"));
  paint_notes(p, index, QRectF(830, 120, 710, 730), 24);
  p.restore();
}

}  // namespace boxlab::gui
