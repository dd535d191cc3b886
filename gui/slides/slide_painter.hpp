// Paints one slide (or its notes page) with a QPainter: the same code draws the PDF pages of
// boxlab-slides and the audience and presenter windows. Slides are laid out on a 1600x900
// canvas scaled to the target rect, so a slide looks the same on paper and on screen.
#pragma once

#include <QPainter>
#include <QRectF>
#include <QString>

#include "boxlab/slides.hpp"

namespace boxlab::gui {

class SlidePainter {
 public:
  static constexpr double kWidth = 1600;
  static constexpr double kHeight = 900;

  // Images resolve against the deck file's folder.
  explicit SlidePainter(const slides::Deck& deck) : deck_(deck) {}

  // Slide `index` (0-based) scaled into `target` (kept 16:9, centred).
  void paint_slide(QPainter& p, int index, const QRectF& target) const;
  // A handout page: the slide small on the left, its speaker notes on the right.
  void paint_notes_page(QPainter& p, int index, const QRectF& target) const;
  // Speaker notes alone, as rich text, fitted into `target` (the presenter window).
  void paint_notes(QPainter& p, int index, const QRectF& target, double font_px) const;

  // Markdown for QTextDocument: the slide's body without its title line, images and demo
  // fences (demo blocks become ordinary code blocks; lab links stay links).
  static QString body_markdown(const slides::Slide& s);

 private:
  void paint_canvas(QPainter& p, int index) const;  // in kWidth x kHeight units
  const slides::Deck& deck_;
};

// The rect of size `w:h` aspect that fits centred inside `outer`.
QRectF fit_rect(const QRectF& outer, double w, double h);

}  // namespace boxlab::gui
