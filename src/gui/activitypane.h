// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

#include <memory>

class QSortFilterProxyModel;

namespace Ui {
class ActivityPane;
}

namespace voxtrack::models {
class ActivityLog;
}

namespace voxtrack::gui {

/// The activity log under the tabs: what reached the database, line by line ("Started session…",
/// "Saved agent message…", "Ended session… (duration, messages)"), problems in the error colour.
/// Follows the newest line unless the user scrolled up; a line opens its session.
class ActivityPane : public QWidget {
    Q_OBJECT

public:
    explicit ActivityPane(models::ActivityLog* log, QWidget* parent = nullptr);
    ~ActivityPane() override;

    [[nodiscard]] models::ActivityLog* log() const { return m_log; }
    /// Lines shown (all, or only problems).
    [[nodiscard]] int visibleLines() const;

Q_SIGNALS:
    /// A line was activated (double-click, Return): show its session.
    void sessionRequested(const QString& sessionId);

private:
    void scrollToNewest();

    std::unique_ptr<Ui::ActivityPane> ui;
    models::ActivityLog* m_log;
    QSortFilterProxyModel* m_filter;
};

} // namespace voxtrack::gui
