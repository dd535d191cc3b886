// The network diagram (issue 9): the host side with its bridges, each container's namespace
// with its eth0 and address, the veth pair that joins them, and published ports; redrawn from
// each net.topology picture. Below it the same picture as a tree (namespace -> interfaces).
#pragma once

#include <QWidget>

class QLabel;
class QTreeView;

namespace boxlab::gui {

class NetworkModel;

// The painted diagram alone (also what the screenshot of the network pane shows).
class NetworkDiagram : public QWidget {
  Q_OBJECT
 public:
  explicit NetworkDiagram(NetworkModel* model, QWidget* parent = nullptr);
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;
  // Container boxes drawn in the last paint (tests, screenshots).
  QStringList drawnContainers() const { return drawn_; }
  // The right and bottom edges of everything drawn in the last paint, and the narrowest a
  // card's text was given (tests: nothing drawn past the size the scroll area allows, no
  // card text cut).
  QPoint paintedExtent() const { return extent_; }
  bool textCut() const { return textCut_; }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  int contentHeight() const;
  // Width that fits every card's text; at least what `available` gives the columns.
  int neededWidth(int available) const;
  NetworkModel* model_;
  QStringList drawn_;
  QPoint extent_;
  bool textCut_ = false;
};

class NetworkView : public QWidget {
  Q_OBJECT
 public:
  explicit NetworkView(NetworkModel* model, QWidget* parent = nullptr);
  NetworkDiagram* diagram() const { return diagram_; }
  QTreeView* tree() const { return tree_; }

 signals:
  void refreshRequested();

 private:
  NetworkModel* model_;
  NetworkDiagram* diagram_;
  QTreeView* tree_;
  QLabel* summary_;
};

}  // namespace boxlab::gui
