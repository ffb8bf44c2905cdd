// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"

#include <QUrl>
#include <QWidget>

#include <memory>
#include <optional>

namespace Ui {
class LoadPanel;
}

namespace voxtrack::gui {

/// Placeholder: filled in by its own change.
class LoadPanel : public QWidget {
    Q_OBJECT

public:
    explicit LoadPanel(QWidget* parent = nullptr);
    ~LoadPanel() override;
    void setServerUrl(const QUrl& conversationUrl);
    void setDatabase(const std::optional<voxtrack::DatabaseUrl>& url);
    bool selectScenario(const QString& path);
    void setSessions(int n);
    void setConcurrency(int n);
    void setArrivalRate(double perSecond);
    void start();
    void stop();
    [[nodiscard]] bool isRunning() const { return false; }

Q_SIGNALS:
    void runStarted();
    void runFinished();
    void statusMessage(const QString& message);

    void setServerUrl(const QUrl& conversationUrl);
    void setDatabase(const std::optional<voxtrack::DatabaseUrl>& url);

private:
    std::unique_ptr<Ui::LoadPanel> ui;
};

} // namespace voxtrack::gui
