// Episodes of one season: the list on the left, the focused episode's details and known
// sources on the right. OK or Play/Pause plays the best source; an episode without
// sources is searched first (spinner and progress), then plays, or says none were found.
// An episode with a saved position shows "Resume from 12:34" (what OK does) and "Start
// over"; Right from the list reaches them, Left returns. "Download season" sits on the
// heading's line (Up from the first episode or from Resume reaches it, Down returns).
import QtQuick
import "../Style"
import "../Components"

FocusScope {
    id: episodes
    objectName: "episodesView"
    property QtObject vm

    Connections {
        target: episodes.vm
        // Home's "Continue watching" card, or Back from the player (autoplay may have
        // moved on): that episode's row becomes current and holds the focus.
        function onFocusRow(row) {
            list.currentIndex = row
            list.positionViewAtIndex(row, ListView.Contain)
            if (episodes.visible)  // never take the focus from another screen
                list.forceActiveFocus()
        }
    }

    Text {
        id: heading
        x: parent.width * 0.05
        y: parent.height * 0.05
        width: parent.width * 0.9 - (seasonButton.visible ? seasonButton.width + Theme.px(32) : 0)
        text: episodes.vm ? episodes.vm.heading : ""
        color: Theme.text
        elide: Text.ElideRight
        font.family: Theme.fontFamily
        font.pixelSize: Theme.titleSize
        font.bold: true
    }

    FocusButton {
        id: seasonButton
        objectName: "episodeDownloadSeasonButton"
        anchors.right: parent.right
        anchors.rightMargin: parent.width * 0.05
        anchors.verticalCenter: heading.verticalCenter
        visible: episodes.vm !== null && episodes.vm.seasonDownloadText !== ""
        text: episodes.vm ? episodes.vm.seasonDownloadText : ""
        onActivated: episodes.vm.downloadSeason()
        KeyNavigation.down: list
        KeyNavigation.left: list
        onVisibleChanged: if (!visible && activeFocus) list.forceActiveFocus()
    }

    ListView {
        id: list
        objectName: "episodesList"
        x: parent.width * 0.05
        anchors.top: heading.bottom
        anchors.topMargin: Theme.px(32)
        anchors.bottom: parent.bottom
        anchors.bottomMargin: parent.height * 0.05
        width: parent.width * 0.42
        spacing: Theme.px(8)
        clip: true
        focus: true
        keyNavigationEnabled: true
        highlightMoveDuration: Theme.animMs
        highlightRangeMode: ListView.ApplyRange
        preferredHighlightBegin: Theme.px(80)
        preferredHighlightEnd: height - Theme.px(80)
        model: episodes.vm ? episodes.vm.episodes : null
        onCountChanged: if (count > 0 && currentIndex < 0) currentIndex = 0
        onCurrentIndexChanged: if (episodes.vm) episodes.vm.currentIndex = currentIndex
        Keys.onRightPressed: (event) => {
            if (resumeRow.visible) resumeButton.forceActiveFocus()
            else event.accepted = false
        }
        Keys.onUpPressed: (event) => {
            if (currentIndex <= 0 && seasonButton.visible) seasonButton.forceActiveFocus()
            else event.accepted = false
        }
        delegate: ListEntry {
            required property int index
            required property int number
            required property string title
            required property string runtime
            objectName: "episode_" + number
            width: ListView.view.width - Theme.px(16)
            x: Theme.px(8)
            text: number + ".  " + title
            detail: runtime
            focus: ListView.isCurrentItem
            // While Resume / Start over hold the focus, the accent bar says which episode.
            selected: ListView.isCurrentItem
            onActivated: episodes.vm.play(index)
            Keys.onPressed: (event) => {
                if (event.key === Qt.Key_MediaTogglePlayPause || event.key === Qt.Key_MediaPlay) {
                    episodes.vm.play(index); event.accepted = true
                }
            }
        }
    }

    Column {
        anchors.left: list.right
        anchors.leftMargin: Theme.px(56)
        anchors.right: parent.right
        anchors.rightMargin: parent.width * 0.05
        anchors.top: list.top
        spacing: Theme.px(24)
        Text {
            objectName: "episodeTitle"
            width: parent.width
            text: episodes.vm ? episodes.vm.currentTitle : ""
            color: Theme.text
            wrapMode: Text.Wrap
            font.family: Theme.fontFamily
            font.pixelSize: Theme.headingSize
            font.bold: true
        }
        Text {
            width: parent.width
            text: episodes.vm ? episodes.vm.currentMeta : ""
            color: Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }
        Flow {
            id: resumeRow
            objectName: "episodeResumeRow"
            width: parent.width  // "Start over" wraps below on a narrow window
            visible: episodes.vm !== null && episodes.vm.resumeText !== ""
            spacing: Theme.px(24)
            // The buttons go with the episode: no focus left on a hidden one.
            onVisibleChanged: if (!visible && (resumeButton.activeFocus
                                               || startOverButton.activeFocus))
                                  list.forceActiveFocus()
            FocusButton {
                id: resumeButton
                objectName: "episodeResumeButton"
                text: "▶  " + (episodes.vm ? episodes.vm.resumeText : "")
                onActivated: episodes.vm.resume()
                KeyNavigation.left: list
                KeyNavigation.right: startOverButton
                KeyNavigation.down: startOverButton  // wrapped below it on most windows
                KeyNavigation.up: seasonButton.visible ? seasonButton : null
                Keys.onPressed: (event) => {
                    if (event.key === Qt.Key_MediaTogglePlayPause || event.key === Qt.Key_MediaPlay) {
                        episodes.vm.resume(); event.accepted = true
                    }
                }
            }
            FocusButton {
                id: startOverButton
                objectName: "episodeStartOverButton"
                text: "Start over"
                onActivated: episodes.vm.startOver()
                KeyNavigation.left: resumeButton
                KeyNavigation.up: resumeButton
            }
        }
        Text {
            objectName: "episodeOverview"
            width: parent.width
            text: episodes.vm ? episodes.vm.currentOverview : ""
            color: Theme.text
            wrapMode: Text.Wrap
            maximumLineCount: 9
            elide: Text.ElideRight
            lineHeight: 1.25
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }
        Text {
            objectName: "episodeSourcesText"
            width: parent.width
            visible: list.count > 0
            text: episodes.vm && episodes.vm.sourcesText !== "" ? episodes.vm.sourcesText
                                                                : "OK: play this episode"
            color: Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
        Row {
            objectName: "episodeSearching"
            visible: episodes.vm && episodes.vm.searching
            spacing: Theme.px(20)
            Spinner { anchors.verticalCenter: parent.verticalCenter }
            Text {
                objectName: "episodeSearchProgress"
                anchors.verticalCenter: parent.verticalCenter
                text: episodes.vm ? episodes.vm.progress : ""
                color: Theme.text
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
        }
        Column {
            objectName: "episodeSources"
            width: parent.width
            spacing: Theme.px(10)
            Repeater {
                model: episodes.vm ? episodes.vm.sources : null
                delegate: Column {
                    required property int index
                    required property string label
                    required property string detail
                    required property bool best
                    objectName: "episodeSource_" + index
                    visible: index < 4  // the best few; OK plays the first
                    width: parent.width
                    spacing: Theme.px(2)
                    Text {
                        width: parent.width
                        elide: Text.ElideRight
                        text: (best ? "★ " : "") + label
                        color: best ? Theme.text : Theme.textDim
                        font.family: Theme.fontFamily
                        font.pixelSize: Theme.bodySize
                        font.bold: best
                    }
                    Text {
                        width: parent.width
                        elide: Text.ElideRight
                        text: detail
                        color: Theme.textDim
                        font.family: Theme.fontFamily
                        font.pixelSize: Theme.smallSize
                    }
                }
            }
        }
        Text {
            objectName: "episodeSeasonNotice"
            width: parent.width
            visible: text !== ""
            text: episodes.vm ? episodes.vm.seasonNotice : ""
            color: Theme.text
            wrapMode: Text.Wrap
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }
        Rectangle {
            objectName: "episodeMessageBox"
            visible: episodes.vm && episodes.vm.message !== ""
            width: messageText.implicitWidth + Theme.px(48)
            height: messageText.implicitHeight + Theme.px(28)
            radius: Theme.radius
            color: Theme.surfaceRaised
            border.color: Theme.error
            border.width: Theme.px(2)
            Text {
                id: messageText
                objectName: "episodeMessage"
                anchors.centerIn: parent
                text: episodes.vm ? episodes.vm.message : ""
                color: Theme.error
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
                font.bold: true
            }
        }
    }

    Column {
        anchors.centerIn: parent
        spacing: Theme.px(24)
        visible: episodes.vm && (episodes.vm.loading || episodes.vm.error !== "")
        Spinner {
            anchors.horizontalCenter: parent.horizontalCenter
            visible: episodes.vm && episodes.vm.loading
        }
        Text {
            objectName: "episodesError"
            anchors.horizontalCenter: parent.horizontalCenter
            text: episodes.vm && episodes.vm.error !== "" ? episodes.vm.error + "\nPress Back to return." : ""
            horizontalAlignment: Text.AlignHCenter
            color: Theme.error
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }
    }
}
