// Placeholder until the GUI issue: a window that says where the labs are today.
#include <QApplication>
#include <QLabel>

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QLabel label(
      QStringLiteral("boxlab-gui is coming. Use `boxlab lab ls` and `./kit run` for now."));
  label.setMargin(24);
  label.setWindowTitle(QStringLiteral("boxlab"));
  label.show();
  return app.exec();
}
