// Details: backdrop, poster, title, year/runtime/rating, genres, tagline, overview, the
// best source, a focused Play button (Play/Pause on the remote plays too) and Sources,
// which opens the list of every known source (OK plays one, Back closes the list).
import QtQuick
import "../Style"
import "../Components"

FocusScope {
    id: details
    objectName: "detailsView"
    property QtObject vm

    // Arriving on Details starts on Play, unless the viewer comes back from a source
    // they chose in the open Sources list.
    // (The resume point is re-read by load() and, back from the player, once the player
    // has saved its position: AppViewModel._after_player.)
    onVisibleChanged: if (visible && !sourcesPanel.shown) playButton.forceActiveFocus()

    Keys.onPressed: (event) => {
        if (event.key === Qt.Key_MediaTogglePlayPause || event.key === Qt.Key_MediaPlay) {
            details.vm.play(); event.accepted = true
        }
    }

    Image {
        anchors.fill: parent
        source: details.vm ? details.vm.backdropUrl : ""
        fillMode: Image.PreserveAspectCrop
        asynchronous: true
        opacity: 0.35
        sourceSize.width: 1280
        sourceSize.height: 720
    }
    // Darken towards the text so it stays readable over any backdrop.
    Rectangle {
        anchors.fill: parent
        gradient: Gradient {
            orientation: Gradient.Horizontal
            GradientStop { position: 0.0; color: "#f00d0e12" }
            GradientStop { position: 0.7; color: "#a00d0e12" }
            GradientStop { position: 1.0; color: "#400d0e12" }
        }
    }

    Row {
        id: content
        x: parent.width * 0.05
        y: parent.height * 0.1
        width: parent.width * 0.9
        spacing: Theme.px(56)
        visible: details.vm && details.vm.mediaId !== 0

        Rectangle {
            id: posterFrame
            width: Theme.px(400)
            height: Theme.px(600)
            radius: Theme.radius
            color: Theme.surfaceRaised
            clip: true
            Image {
                id: poster
                anchors.fill: parent
                source: details.vm ? details.vm.posterUrl : ""
                visible: source != "" && status === Image.Ready
                fillMode: Image.PreserveAspectCrop
                asynchronous: true
                sourceSize.width: Theme.px(400)
                sourceSize.height: Theme.px(600)
            }
            Text {
                anchors.fill: parent
                anchors.margins: Theme.px(24)
                visible: !poster.visible
                text: details.vm ? details.vm.title : ""
                color: Theme.text
                wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignHCenter
                verticalAlignment: Text.AlignVCenter
                font.family: Theme.fontFamily
                font.pixelSize: Theme.headingSize
                font.bold: true
            }
        }

        Column {
            width: content.width - posterFrame.width - content.spacing
            spacing: Theme.px(28)
            Text {
                objectName: "detailsTitle"
                width: parent.width
                text: details.vm ? details.vm.title : ""
                color: Theme.text
                wrapMode: Text.Wrap
                font.family: Theme.fontFamily
                font.pixelSize: Theme.titleSize
                font.bold: true
            }
            Row {
                spacing: Theme.px(24)
                Text {
                    objectName: "detailsMeta"
                    text: details.vm ? [details.vm.year, details.vm.runtime, details.vm.rating].filter(s => s !== "").join("   ·   ") : ""
                    color: Theme.textDim
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.bodySize
                }
                DemoBadge {
                    visible: details.vm && details.vm.isDemo
                    anchors.verticalCenter: parent.verticalCenter
                }
            }
            Text {
                objectName: "detailsGenres"
                width: parent.width
                visible: text !== ""
                text: details.vm ? details.vm.genres : ""
                color: Theme.textDim
                elide: Text.ElideRight
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
            Text {
                objectName: "detailsTagline"
                width: parent.width
                visible: text !== ""
                text: details.vm ? details.vm.tagline : ""
                color: Theme.textDim
                wrapMode: Text.Wrap
                font.italic: true
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
            Text {
                width: parent.width
                text: details.vm ? details.vm.overview : ""
                color: Theme.text
                wrapMode: Text.Wrap
                maximumLineCount: 6
                elide: Text.ElideRight
                lineHeight: 1.25
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
            Row {
                width: parent.width
                spacing: Theme.px(16)
                // Searching the providers: a small spinner beside the progress line.
                Spinner {
                    objectName: "detailsSourcesSpinner"
                    visible: details.vm && details.vm.searching
                    width: visible ? Theme.px(36) : 0
                    height: Theme.px(36)
                    anchors.verticalCenter: parent.verticalCenter
                }
                Text {
                    objectName: "detailsSourcesText"
                    width: parent.width - x
                    visible: text !== ""
                    text: details.vm ? details.vm.sourcesText : ""
                    color: details.vm && (details.vm.sourceCount > 0 || details.vm.searching)
                           ? Theme.textDim : Theme.error
                    elide: Text.ElideRight
                    anchors.verticalCenter: parent.verticalCenter
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.smallSize
                }
            }
            Item { width: 1; height: Theme.px(8) }
            Row {
                spacing: Theme.px(32)
                FocusButton {
                    id: playButton
                    objectName: "detailsPlayButton"
                    // Play resumes where the viewer stopped; the label says from where.
                    text: details.vm && details.vm.resumeText !== ""
                          ? "▶  " + details.vm.resumeText : "▶  Play"
                    focus: true
                    KeyNavigation.right: startOverButton.visible ? startOverButton
                                         : (sourcesButton.visible ? sourcesButton
                                            : (downloadButton.visible ? downloadButton : null))
                    onActivated: details.vm.play()
                }
                FocusButton {
                    id: startOverButton
                    objectName: "detailsStartOverButton"
                    visible: details.vm && details.vm.resumeText !== ""
                    text: "Start over"
                    KeyNavigation.left: playButton
                    // A marked download whose source was dropped has no Sources button:
                    // "Remove download" must still be reachable.
                    KeyNavigation.right: sourcesButton.visible ? sourcesButton
                                         : (downloadButton.visible ? downloadButton : null)
                    onActivated: details.vm.startOver()
                    onVisibleChanged: if (!visible && activeFocus) playButton.forceActiveFocus()
                }
                FocusButton {
                    id: sourcesButton
                    objectName: "detailsSourcesButton"
                    visible: details.vm && details.vm.sourceCount > 0
                    text: details.vm ? "Sources (" + details.vm.sourceCount + ")" : ""
                    KeyNavigation.left: startOverButton.visible ? startOverButton : playButton
                    KeyNavigation.right: downloadButton.visible ? downloadButton : null
                    onActivated: sourcesPanel.show()
                    // The list emptied (another title): never keep focus on a hidden button.
                    onVisibleChanged: if (!visible && activeFocus) playButton.forceActiveFocus()
                }
                // Download for later (services/downloads.py): whole film kept on disk.
                FocusButton {
                    id: downloadButton
                    objectName: "detailsDownloadButton"
                    readonly property QtObject action: details.vm ? details.vm.download : null
                    visible: action !== null && action.available
                             && (details.vm.sourceCount > 0 || action.marked)
                    text: action ? action.text : ""
                    KeyNavigation.left: sourcesButton.visible ? sourcesButton
                                        : (startOverButton.visible ? startOverButton : playButton)
                    onActivated: action.toggle()
                    // A half-given "press again to delete" ends when focus moves on.
                    onActiveFocusChanged: if (!activeFocus && action) action.cancel()
                    onVisibleChanged: if (!visible && activeFocus) playButton.forceActiveFocus()
                }
            }
            Text {
                objectName: "detailsDownloadNotice"
                width: parent.width
                visible: text !== ""
                text: details.vm && details.vm.download ? details.vm.download.notice : ""
                color: Theme.textDim
                wrapMode: Text.Wrap
                font.family: Theme.fontFamily
                font.pixelSize: Theme.smallSize
            }
        }
    }

    // Every source of the title, best first and marked; slides over the right side.
    FocusScope {
        id: sourcesPanel
        objectName: "detailsSourcesPanel"
        property bool shown: false
        property int forMedia: 0
        visible: shown
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.bottom: parent.bottom
        width: parent.width * 0.6

        function show() {
            forMedia = details.vm.mediaId
            shown = true
            sourceList.currentIndex = 0
            sourceList.forceActiveFocus()
        }
        function hide() {
            shown = false
            sourcesButton.visible ? sourcesButton.forceActiveFocus() : playButton.forceActiveFocus()
        }

        Connections {
            target: details.vm
            // Another title opened: its Details start on Play, not inside an old list.
            function onChanged() {
                if (sourcesPanel.shown && details.vm.mediaId !== sourcesPanel.forMedia) {
                    sourcesPanel.shown = false
                    playButton.forceActiveFocus()
                }
            }
        }

        Keys.onPressed: (event) => {
            switch (event.key) {
            case Qt.Key_Escape:
            case Qt.Key_Back:
            case Qt.Key_Backspace:
            case Qt.Key_Left:
                sourcesPanel.hide(); event.accepted = true; break
            case Qt.Key_MediaTogglePlayPause:
            case Qt.Key_MediaPlay:
                details.vm.playSource(sourceList.currentIndex); event.accepted = true; break
            }
        }

        Rectangle {
            anchors.fill: parent
            color: Theme.surface
        }
        Text {
            id: panelHeading
            x: Theme.px(48)
            y: parent.height * 0.1
            text: "Sources"
            color: Theme.text
            font.family: Theme.fontFamily
            font.pixelSize: Theme.headingSize
            font.bold: true
        }
        Text {
            id: panelHint
            anchors.left: panelHeading.left
            anchors.top: panelHeading.bottom
            anchors.topMargin: Theme.px(8)
            text: "OK plays the chosen source · Back closes"
            color: Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
        ListView {
            id: sourceList
            objectName: "detailsSourceList"
            anchors.left: panelHeading.left
            anchors.right: parent.right
            anchors.rightMargin: details.width * 0.05
            anchors.top: panelHint.bottom
            anchors.topMargin: Theme.px(32)
            anchors.bottom: parent.bottom
            anchors.bottomMargin: parent.height * 0.05
            clip: true
            spacing: Theme.px(12)
            focus: true
            keyNavigationEnabled: true
            highlightMoveDuration: Theme.animMs
            model: details.vm ? details.vm.sources : null
            delegate: FocusScope {
                id: sourceRow
                objectName: "sourceRow_" + index
                width: ListView.view.width - Theme.px(16)
                height: rowColumn.implicitHeight
                x: Theme.px(8)
                focus: ListView.isCurrentItem
              Column {
                id: rowColumn
                width: parent.width
                spacing: Theme.px(2)
                ListEntry {
                    objectName: "source_" + index
                    width: parent.width
                    text: (model.best ? "★  " : "") + model.label
                    detail: model.detail
                    selected: model.best
                    focus: true
                    onActivated: details.vm.playSource(index)
                }
                // Why it scores as it does, under the focused row only (keeps the list short).
                Text {
                    objectName: "sourceWhy_" + index
                    x: Theme.px(24)
                    width: parent.width - x
                    visible: sourceRow.activeFocus && model.why !== ""
                    text: model.why
                    color: Theme.textDim
                    wrapMode: Text.Wrap
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.smallSize
                }
              }
            }
        }
    }

    Column {
        anchors.centerIn: parent
        spacing: Theme.px(24)
        visible: details.vm && (details.vm.loading || details.vm.error !== "")
        Spinner {
            anchors.horizontalCenter: parent.horizontalCenter
            visible: details.vm && details.vm.loading
        }
        Text {
            objectName: "detailsError"
            anchors.horizontalCenter: parent.horizontalCenter
            text: details.vm ? (details.vm.error !== "" ? details.vm.error + "\nPress Back to return." : "") : ""
            horizontalAlignment: Text.AlignHCenter
            color: Theme.error
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }
    }
}
