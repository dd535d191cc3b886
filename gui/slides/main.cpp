// boxlab-slides export DECK.md --pdf OUT [--notes]: a deck as a PDF handout, one page per slide
// (and a notes page after each with --notes). `boxlab slides export` runs this with Qt's
// offscreen platform, so no display is needed.
#include <QGuiApplication>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <cstdio>
#include <string>

#include "boxlab/error.hpp"
#include "boxlab/slides.hpp"
#include "slide_painter.hpp"

namespace {

int usage() {
  std::fprintf(stderr, "usage: boxlab-slides export DECK.md --pdf OUT [--notes]\n");
  return 2;
}

int export_pdf(const std::string& deck_file, const QString& out, bool notes) {
  boxlab::slides::Deck deck = boxlab::slides::load_deck(deck_file);
  if (deck.slides.empty()) throw boxlab::Error(deck_file + ": the deck has no slides");
  QPdfWriter writer(out);
  // 16:9, 10 x 5.625 inches: fills a projector and prints at full width on A4 or Letter.
  writer.setPageSize(
      QPageSize(QSizeF(254, 142.875), QPageSize::Millimeter, QStringLiteral("16:9")));
  writer.setPageMargins(QMarginsF(0, 0, 0, 0));
  writer.setResolution(300);
  writer.setTitle(QString::fromStdString(deck.title));
  writer.setCreator(QStringLiteral("boxlab-slides"));
  QPainter p;
  if (!p.begin(&writer)) throw boxlab::Error("write " + out.toStdString() + ": cannot open it");
  boxlab::gui::SlidePainter painter(deck);
  QRectF page(0, 0, writer.width(), writer.height());
  for (int i = 0; i < static_cast<int>(deck.slides.size()); ++i) {
    if (i > 0) writer.newPage();
    painter.paint_slide(p, i, page);
    if (notes) {
      writer.newPage();
      painter.paint_notes_page(p, i, page);
    }
  }
  if (!p.end()) throw boxlab::Error("write " + out.toStdString());
  std::printf("%s: %zu slides%s -> %s\n", deck.id.c_str(), deck.slides.size(),
              notes ? " with notes" : "", out.toLocal8Bit().constData());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  QGuiApplication app(argc, argv);
  QStringList args = app.arguments();
  if (args.size() < 5 || args[1] != QLatin1String("export")) return usage();
  QString deck = args[2], out;
  bool notes = false;
  for (int i = 3; i < args.size(); ++i) {
    if (args[i] == QLatin1String("--pdf") && i + 1 < args.size())
      out = args[++i];
    else if (args[i] == QLatin1String("--notes"))
      notes = true;
    else
      return usage();
  }
  if (out.isEmpty()) return usage();
  try {
    return export_pdf(deck.toStdString(), out, notes);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "boxlab-slides: %s\n", e.what());
    return 1;
  }
}
