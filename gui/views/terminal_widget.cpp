#include "terminal_widget.hpp"

extern "C" {
#include <vterm.h>
}

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QKeyEvent>
#include <QPainter>

namespace boxlab::gui {

namespace {
constexpr std::size_t kScrollbackLines = 2000;

TerminalWidget* self(void* user) {
  return static_cast<TerminalWidget*>(user);
}

int cbDamage(VTermRect, void* user) {
  self(user)->onDamage();
  return 1;
}
int cbMoveRect(VTermRect, VTermRect, void* user) {
  self(user)->onDamage();
  return 1;
}
int cbMoveCursor(VTermPos pos, VTermPos, int visible, void* user) {
  self(user)->onCursor(pos.row, pos.col, visible != 0);
  return 1;
}
int cbSetTermProp(VTermProp prop, VTermValue* val, void* user) {
  if (prop == VTERM_PROP_TITLE)
    self(user)->onTitle(QString::fromUtf8(val->string));
  else if (prop == VTERM_PROP_CURSORVISIBLE)
    self(user)->onCursor(-1, -1, val->boolean != 0);
  return 1;
}
int cbBell(void*) {
  QApplication::beep();
  return 1;
}
int cbPushLine(int cols, const VTermScreenCell* cells, void* user) {
  self(user)->onPushLine(cols, cells);
  return 1;
}
int cbPopLine(int cols, VTermScreenCell* cells, void* user) {
  return self(user)->onPopLine(cols, cells) ? 1 : 0;
}
void cbOutput(const char* s, size_t len, void* user) {
  self(user)->onOutput(s, len);
}

VTermScreenCallbacks callbacks() {
  VTermScreenCallbacks cb{};
  cb.damage = cbDamage;
  cb.moverect = cbMoveRect;
  cb.movecursor = cbMoveCursor;
  cb.settermprop = cbSetTermProp;
  cb.bell = cbBell;
  cb.sb_pushline = cbPushLine;
  cb.sb_popline = cbPopLine;
  return cb;
}

VTermModifier modifiers(Qt::KeyboardModifiers m) {
  int mod = VTERM_MOD_NONE;
  if (m & Qt::ShiftModifier) mod |= VTERM_MOD_SHIFT;
  if (m & Qt::AltModifier) mod |= VTERM_MOD_ALT;
  if (m & Qt::ControlModifier) mod |= VTERM_MOD_CTRL;
  return VTermModifier(mod);
}

TerminalWidget::Cell toCell(const VTermScreen* screen, VTermScreenCell c) {
  TerminalWidget::Cell out;
  out.ch = c.chars[0];
  out.defaultFg = VTERM_COLOR_IS_DEFAULT_FG(&c.fg);
  out.defaultBg = VTERM_COLOR_IS_DEFAULT_BG(&c.bg);
  vterm_screen_convert_color_to_rgb(screen, &c.fg);
  vterm_screen_convert_color_to_rgb(screen, &c.bg);
  out.fg = qRgb(c.fg.rgb.red, c.fg.rgb.green, c.fg.rgb.blue);
  out.bg = qRgb(c.bg.rgb.red, c.bg.rgb.green, c.bg.rgb.blue);
  out.bold = c.attrs.bold;
  out.underline = c.attrs.underline != 0;
  out.reverse = c.attrs.reverse;
  out.italic = c.attrs.italic;
  return out;
}
}  // namespace

TerminalWidget::TerminalWidget(QWidget* parent) : QWidget(parent) {
  setFocusPolicy(Qt::StrongFocus);
  setAttribute(Qt::WA_InputMethodEnabled);
  setAttribute(Qt::WA_OpaquePaintEvent);
  setCursor(Qt::IBeamCursor);
  setAccessibleName(tr("Container terminal"));
  vt_ = vterm_new(rows_, cols_);
  vterm_set_utf8(vt_, 1);
  vterm_output_set_callback(vt_, cbOutput, this);
  screen_ = vterm_obtain_screen(vt_);
  static const VTermScreenCallbacks cb = callbacks();
  vterm_screen_set_callbacks(screen_, &cb, this);
  vterm_screen_enable_altscreen(screen_, 1);
  vterm_screen_set_damage_merge(screen_, VTERM_DAMAGE_SCROLL);
  vterm_screen_reset(screen_, 1);
  setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));  // after vt_: FontChange resizes
  updateSize();
}

TerminalWidget::~TerminalWidget() {
  vterm_free(vt_);
}

QSize TerminalWidget::sizeHint() const {
  return {80 * cellW_ + 4, 24 * cellH_ + 4};
}

void TerminalWidget::feed(const QByteArray& bytes) {
  if (bytes.isEmpty()) return;
  scroll_ = 0;
  vterm_input_write(vt_, bytes.constData(), size_t(bytes.size()));
  vterm_screen_flush_damage(screen_);
  update();
}

void TerminalWidget::reset() {
  scrollback_.clear();
  scroll_ = 0;
  selStart_ = selEnd_ = {};
  vterm_screen_reset(screen_, 1);
  update();
}

void TerminalWidget::setPlaceholder(const QString& text) {
  placeholder_ = text;
  update();
}

void TerminalWidget::onDamage() {
  update();
}

void TerminalWidget::onCursor(int row, int col, bool visible) {
  if (row >= 0) cursor_ = {col, row};
  cursorVisible_ = visible;
  update();
}

void TerminalWidget::onTitle(const QString& title) {
  emit titleChanged(title);
}

void TerminalWidget::onPushLine(int cols, const void* cells) {
  auto* c = static_cast<const VTermScreenCell*>(cells);
  std::vector<Cell> line;
  line.reserve(size_t(cols));
  for (int i = 0; i < cols; ++i) line.push_back(toCell(screen_, c[i]));
  scrollback_.push_back(std::move(line));
  if (scrollback_.size() > kScrollbackLines) scrollback_.pop_front();
}

bool TerminalWidget::onPopLine(int cols, void* cells) {
  if (scrollback_.empty()) return false;
  auto* c = static_cast<VTermScreenCell*>(cells);
  const auto& line = scrollback_.back();
  for (int i = 0; i < cols; ++i) {
    VTermScreenCell cell{};
    cell.width = 1;
    if (i < int(line.size())) cell.chars[0] = line[size_t(i)].ch;
    cell.fg.type = VTERM_COLOR_DEFAULT_FG;
    cell.bg.type = VTERM_COLOR_DEFAULT_BG;
    c[i] = cell;
  }
  scrollback_.pop_back();
  return true;
}

void TerminalWidget::onOutput(const char* bytes, size_t len) {
  emit input(QByteArray(bytes, qsizetype(len)));
}

TerminalWidget::Cell TerminalWidget::cell(int row, int col) const {
  if (row < 0) {
    int i = int(scrollback_.size()) + row;
    if (i < 0 || i >= int(scrollback_.size())) return {};
    const auto& line = scrollback_[size_t(i)];
    return col < int(line.size()) ? line[size_t(col)] : Cell{};
  }
  VTermScreenCell c{};
  vterm_screen_get_cell(screen_, VTermPos{row, col}, &c);
  return toCell(screen_, c);
}

void TerminalWidget::updateSize() {
  QFontMetrics fm(font());
  cellW_ = std::max(1, fm.horizontalAdvance(QLatin1Char('M')));
  cellH_ = std::max(1, fm.lineSpacing());
  ascent_ = fm.ascent();
  int cols = std::max(2, (width() - 4) / cellW_);
  int rows = std::max(1, (height() - 4) / cellH_);
  if (rows == rows_ && cols == cols_) return;
  rows_ = rows;
  cols_ = cols;
  vterm_set_size(vt_, rows_, cols_);
  vterm_screen_flush_damage(screen_);
  emit resized(rows_, cols_);
}

void TerminalWidget::resizeEvent(QResizeEvent*) {
  updateSize();
}

bool TerminalWidget::event(QEvent* e) {
  if (e->type() == QEvent::FontChange && vt_) updateSize();
  // Tab, Backtab and Escape belong to the program in the terminal, not to focus navigation.
  if (e->type() == QEvent::ShortcutOverride) {
    auto* k = static_cast<QKeyEvent*>(e);
    bool ours = (k->modifiers() & Qt::ControlModifier) && !(k->modifiers() & Qt::ShiftModifier) &&
                k->key() >= Qt::Key_A && k->key() <= Qt::Key_Z;
    if (ours || k->key() == Qt::Key_Tab || k->key() == Qt::Key_Backtab ||
        k->key() == Qt::Key_Escape) {
      e->accept();
      return true;
    }
  }
  return QWidget::event(e);
}

bool TerminalWidget::focusNextPrevChild(bool) {
  return false;
}

void TerminalWidget::paintEvent(QPaintEvent*) {
  QPainter p(this);
  const QColor defaultBg = palette().color(QPalette::Base);
  const QColor defaultFg = palette().color(QPalette::Text);
  p.fillRect(rect(), defaultBg);
  QFont normal = font();
  QFont bold = normal;
  bold.setBold(true);
  QPoint a = selStart_, b = selEnd_;
  if (b.y() < a.y() || (b.y() == a.y() && b.x() < a.x())) std::swap(a, b);
  auto selected = [&](int col, int viewRow) {
    if (a == b) return false;
    QPoint c(col, viewRow);
    auto before = [](QPoint x, QPoint y) {
      return x.y() < y.y() || (x.y() == y.y() && x.x() < y.x());
    };
    return !before(c, a) && before(c, b);
  };
  for (int vr = 0; vr < rows_; ++vr) {
    int row = vr - scroll_;
    for (int col = 0; col < cols_; ++col) {
      Cell c = cell(row, col);
      QColor fg = c.defaultFg ? defaultFg : QColor(c.fg);
      QColor bg = c.defaultBg ? defaultBg : QColor(c.bg);
      if (c.reverse != selected(col, vr)) std::swap(fg, bg);
      QRect r(2 + col * cellW_, 2 + vr * cellH_, cellW_, cellH_);
      if (bg != defaultBg) p.fillRect(r, bg);
      if (c.ch > 32) {
        p.setFont(c.bold ? bold : normal);
        p.setPen(fg);
        char32_t ch = c.ch;
        p.drawText(r.left(), r.top() + ascent_, QString::fromUcs4(&ch, 1));
      }
      if (c.underline) p.fillRect(r.left(), r.bottom() - 1, cellW_, 1, fg);
    }
  }
  if (cursorVisible_ && scroll_ == 0) {
    QRect r(2 + cursor_.x() * cellW_, 2 + cursor_.y() * cellH_, cellW_, cellH_);
    if (hasFocus()) {
      p.setCompositionMode(QPainter::RasterOp_SourceXorDestination);
      p.fillRect(r, QColor(0xff, 0xff, 0xff));
      p.setCompositionMode(QPainter::CompositionMode_SourceOver);
    } else {
      p.setPen(defaultFg);
      p.drawRect(r.adjusted(0, 0, -1, -1));
    }
  }
  if (!placeholder_.isEmpty()) {
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap, placeholder_);
  }
}

void TerminalWidget::keyPressEvent(QKeyEvent* e) {
  const Qt::KeyboardModifiers m = e->modifiers();
  if ((m & Qt::ControlModifier) && (m & Qt::ShiftModifier)) {
    if (e->key() == Qt::Key_C) return copy();
    if (e->key() == Qt::Key_V) return paste();
  }
  if ((m & Qt::ShiftModifier) && e->key() == Qt::Key_Insert) return paste();
  if ((m & Qt::ShiftModifier) && e->key() == Qt::Key_PageUp) {
    scroll_ = std::min<int>(int(scrollback_.size()), scroll_ + rows_ / 2);
    return update();
  }
  if ((m & Qt::ShiftModifier) && e->key() == Qt::Key_PageDown) {
    scroll_ = std::max(0, scroll_ - rows_ / 2);
    return update();
  }
  VTermModifier mod = modifiers(m);
  VTermKey key = VTERM_KEY_NONE;
  switch (e->key()) {
    case Qt::Key_Return:
    case Qt::Key_Enter:
      key = VTERM_KEY_ENTER;
      break;
    case Qt::Key_Tab:
    case Qt::Key_Backtab:
      key = VTERM_KEY_TAB;
      break;
    case Qt::Key_Backspace:
      key = VTERM_KEY_BACKSPACE;
      break;
    case Qt::Key_Escape:
      key = VTERM_KEY_ESCAPE;
      break;
    case Qt::Key_Up:
      key = VTERM_KEY_UP;
      break;
    case Qt::Key_Down:
      key = VTERM_KEY_DOWN;
      break;
    case Qt::Key_Left:
      key = VTERM_KEY_LEFT;
      break;
    case Qt::Key_Right:
      key = VTERM_KEY_RIGHT;
      break;
    case Qt::Key_Insert:
      key = VTERM_KEY_INS;
      break;
    case Qt::Key_Delete:
      key = VTERM_KEY_DEL;
      break;
    case Qt::Key_Home:
      key = VTERM_KEY_HOME;
      break;
    case Qt::Key_End:
      key = VTERM_KEY_END;
      break;
    case Qt::Key_PageUp:
      key = VTERM_KEY_PAGEUP;
      break;
    case Qt::Key_PageDown:
      key = VTERM_KEY_PAGEDOWN;
      break;
    default:
      if (e->key() >= Qt::Key_F1 && e->key() <= Qt::Key_F12)
        key = VTermKey(VTERM_KEY_FUNCTION(1 + e->key() - Qt::Key_F1));
  }
  scroll_ = 0;
  selStart_ = selEnd_ = {};
  if (key != VTERM_KEY_NONE) {
    vterm_keyboard_key(vt_, key, mod);
  } else if ((m & Qt::ControlModifier) && e->key() >= Qt::Key_A && e->key() <= Qt::Key_Z) {
    // Ctrl+C reaches the program as ^C (the pty's line discipline turns it into SIGINT).
    vterm_keyboard_unichar(vt_, char32_t('a' + (e->key() - Qt::Key_A)), mod);
  } else if (!e->text().isEmpty()) {
    for (char32_t ch : e->text().toUcs4()) {
      if (ch < 32 || ch == 127) {
        QByteArray raw(1, char(ch));
        emit input(raw);
      } else {
        vterm_keyboard_unichar(vt_, ch, VTermModifier(mod & ~VTERM_MOD_SHIFT));
      }
    }
  } else {
    return QWidget::keyPressEvent(e);
  }
  update();
}

void TerminalWidget::inputMethodEvent(QInputMethodEvent* e) {
  for (char32_t ch : e->commitString().toUcs4()) vterm_keyboard_unichar(vt_, ch, VTERM_MOD_NONE);
  e->accept();
}

QPoint TerminalWidget::cellAt(const QPoint& pos) const {
  return {std::clamp((pos.x() - 2) / cellW_, 0, cols_),
          std::clamp((pos.y() - 2) / cellH_, 0, rows_ - 1)};
}

void TerminalWidget::mousePressEvent(QMouseEvent* e) {
  setFocus();
  if (e->button() == Qt::LeftButton) {
    selStart_ = selEnd_ = cellAt(e->position().toPoint());
    selecting_ = true;
    update();
  } else if (e->button() == Qt::MiddleButton) {
    QString text = QApplication::clipboard()->text(QClipboard::Selection);
    if (!text.isEmpty()) {
      vterm_keyboard_start_paste(vt_);
      for (char32_t ch : text.toUcs4()) vterm_keyboard_unichar(vt_, ch, VTERM_MOD_NONE);
      vterm_keyboard_end_paste(vt_);
    }
  }
}

void TerminalWidget::mouseMoveEvent(QMouseEvent* e) {
  if (!selecting_) return;
  selEnd_ = cellAt(e->position().toPoint());
  update();
}

void TerminalWidget::mouseReleaseEvent(QMouseEvent*) {
  if (!selecting_) return;
  selecting_ = false;
  if (selStart_ != selEnd_ && QApplication::clipboard()->supportsSelection())
    QApplication::clipboard()->setText(textBetween(selStart_, selEnd_), QClipboard::Selection);
}

void TerminalWidget::wheelEvent(QWheelEvent* e) {
  int lines = e->angleDelta().y() / 40;
  scroll_ = std::clamp(scroll_ + lines, 0, int(scrollback_.size()));
  update();
}

QString TerminalWidget::textBetween(QPoint a, QPoint b) const {
  if (b.y() < a.y() || (b.y() == a.y() && b.x() < a.x())) std::swap(a, b);
  QStringList lines;
  for (int vr = a.y(); vr <= b.y(); ++vr) {
    int from = vr == a.y() ? a.x() : 0;
    int to = vr == b.y() ? b.x() : cols_;
    QString line;
    for (int col = from; col < to; ++col) {
      char32_t ch = cell(vr - scroll_, col).ch;
      line += ch ? QString::fromUcs4(&ch, 1) : QStringLiteral(" ");
    }
    while (line.endsWith(QLatin1Char(' '))) line.chop(1);
    lines << line;
  }
  return lines.join(QLatin1Char('\n'));
}

QString TerminalWidget::screenText() const {
  QStringList lines;
  for (int row = 0; row < rows_; ++row) {
    QString line;
    for (int col = 0; col < cols_; ++col) {
      char32_t ch = cell(row, col).ch;
      line += ch ? QString::fromUcs4(&ch, 1) : QStringLiteral(" ");
    }
    while (line.endsWith(QLatin1Char(' '))) line.chop(1);
    lines << line;
  }
  return lines.join(QLatin1Char('\n'));
}

void TerminalWidget::copy() {
  if (selStart_ == selEnd_) return;
  QApplication::clipboard()->setText(textBetween(selStart_, selEnd_));
}

void TerminalWidget::paste() {
  QString text = QApplication::clipboard()->text();
  if (text.isEmpty()) return;
  vterm_keyboard_start_paste(vt_);
  for (char32_t ch : text.toUcs4()) {
    if (ch == '\n') ch = '\r';
    vterm_keyboard_unichar(vt_, ch, VTERM_MOD_NONE);
  }
  vterm_keyboard_end_paste(vt_);
}

}  // namespace boxlab::gui
