// A terminal emulator widget on libvterm: it renders what a pty session printed (colors,
// attributes, cursor, alternate screen, scrollback) and turns keys, paste and resizes into
// the bytes and sizes a program on a tty expects. It knows nothing about where the bytes go:
// input() and resized() are wired to serve's console.input / console.resize.
#pragma once

#include <QWidget>
#include <deque>
#include <vector>

struct VTerm;
struct VTermScreen;

namespace boxlab::gui {

class TerminalWidget : public QWidget {
  Q_OBJECT
 public:
  explicit TerminalWidget(QWidget* parent = nullptr);
  ~TerminalWidget() override;

  // Bytes the session's terminal printed.
  void feed(const QByteArray& bytes);
  // Back to a blank screen (a new session).
  void reset();
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  // The visible screen as text, one line per row, trailing blanks trimmed (tests, copy).
  QString screenText() const;
  // A line for when no session is attached ("" hides it).
  void setPlaceholder(const QString& text);
  bool hasSelection() const { return selecting_ || selStart_ != selEnd_; }

  QSize sizeHint() const override;

 public slots:
  void copy();
  void paste();

 signals:
  void input(const QByteArray& bytes);
  void resized(int rows, int cols);
  void titleChanged(const QString& title);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void inputMethodEvent(QInputMethodEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  bool focusNextPrevChild(bool next) override;
  bool event(QEvent* event) override;

 public:
  // libvterm callbacks (C linkage trampolines call these).
  struct Cell {
    char32_t ch = 0;
    QRgb fg = 0, bg = 0;
    bool defaultFg = true, defaultBg = true, bold = false, underline = false, reverse = false,
         italic = false;
  };
  void onDamage();
  void onCursor(int row, int col, bool visible);
  void onTitle(const QString& title);
  void onPushLine(int cols, const void* cells);
  bool onPopLine(int cols, void* cells);
  void onOutput(const char* bytes, size_t len);

 private:
  QPoint cellAt(const QPoint& pos) const;
  Cell cell(int row, int col) const;  // row < 0: scrollback
  void updateSize();
  QString textBetween(QPoint from, QPoint to) const;

  VTerm* vt_ = nullptr;
  VTermScreen* screen_ = nullptr;
  int rows_ = 24, cols_ = 80;
  int cellW_ = 8, cellH_ = 16, ascent_ = 12;
  QPoint cursor_;
  bool cursorVisible_ = true;
  std::deque<std::vector<Cell>> scrollback_;
  int scroll_ = 0;  // lines scrolled back
  QString placeholder_;
  QPoint selStart_, selEnd_;  // (col, row) in view coordinates incl. scroll
  bool selecting_ = false;
  QByteArray pendingOutput_;
};

}  // namespace boxlab::gui
