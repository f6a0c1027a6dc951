// Player: the mpv item fills the screen; an on-screen display (title, clock, play state,
// time, "ends at", a seek bar with the downloaded parts, peers and speed) shows on any key
// and hides after a few seconds. A buffering panel (peers, speed, seconds buffered ahead,
// "safe to start in N s") stays up while the stream loads or stalls.
// Keys: OK/Space/Play-Pause toggles, Left/Right seek 10 s, Up/Down seek 60 s, Menu opens
// the Tracks panel (audio, subtitles, subtitle delay/size) over the right side; Back or
// Menu closes it again (the OSD stays up meanwhile). Near the end of an episode the
// "Next: S01E02 … playing in 10 s" box takes OK (play it now) and Back (stay).
import QtQuick
import Miauflix.Video
import "../Style"
import "../Components"

FocusScope {
    id: player
    objectName: "playerView"
    property QtObject vm
    property bool overlayWanted: true
    property bool tracksOpen: false
    readonly property bool buffering: !!vm && vm.buffering
    readonly property bool overlayShown: overlayWanted || tracksOpen || !vm || vm.paused
                                         || vm.loading || buffering || vm.error !== ""
    readonly property real safeX: width * 0.05
    readonly property real safeY: height * 0.05

    function showOverlay() {
        overlayWanted = true
        hideTimer.restart()
    }
    function openTracks() {
        tracksOpen = true
        tracksPanel.open()
    }
    function closeTracks() {
        tracksOpen = false
        keys.forceActiveFocus()
        showOverlay()
    }
    onVisibleChanged: {
        if (visible) {
            showOverlay()
        } else if (tracksOpen) {
            tracksOpen = false
            keys.focus = true  // within this scope only: the next screen keeps its focus
        }
    }

    Rectangle { anchors.fill: parent; color: "black" }

    MpvItem {
        id: video
        objectName: "mpvItem"
        anchors.fill: parent
        viewModel: player.vm
    }

    Timer {
        id: hideTimer
        interval: 4000
        onTriggered: player.overlayWanted = false
    }

    Item {
        id: keys
        objectName: "playerKeys"
        anchors.fill: parent
        focus: true
        Keys.onPressed: (event) => {
            // The next-episode countdown takes OK (play now) and Back (stay here).
            if (player.vm && player.vm.nextVisible) {
                if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter
                        || event.key === Qt.Key_Space) {
                    player.vm.playNextNow(); event.accepted = true; return
                }
                if (event.key === Qt.Key_Escape || event.key === Qt.Key_Back
                        || event.key === Qt.Key_Backspace) {
                    player.vm.cancelNext(); event.accepted = true; return
                }
            }
            player.showOverlay()
            switch (event.key) {
            case Qt.Key_Space:
            case Qt.Key_Return:
            case Qt.Key_Enter:
            case Qt.Key_MediaTogglePlayPause:
                player.vm.togglePause(); event.accepted = true; break
            case Qt.Key_MediaPlay:
                if (player.vm.paused) player.vm.togglePause()
                event.accepted = true; break
            case Qt.Key_MediaPause:
                if (!player.vm.paused) player.vm.togglePause()
                event.accepted = true; break
            case Qt.Key_Left:
                player.vm.seekBackward(); event.accepted = true; break
            case Qt.Key_Right:
                player.vm.seekForward(); event.accepted = true; break
            case Qt.Key_Up:
                player.vm.seekForwardLong(); event.accepted = true; break
            case Qt.Key_Down:
                player.vm.seekBackwardLong(); event.accepted = true; break
            case Qt.Key_Menu:
                player.openTracks(); event.accepted = true; break
            }
        }
    }

    Item {
        id: overlay
        objectName: "playerOverlay"
        anchors.fill: parent
        opacity: player.overlayShown ? 1 : 0
        visible: opacity > 0
        Behavior on opacity { NumberAnimation { duration: 250 } }

        Rectangle {
            anchors.left: parent.left; anchors.right: parent.right; anchors.top: parent.top
            height: parent.height * 0.25
            gradient: Gradient {
                GradientStop { position: 0.0; color: "#c8000000" }
                GradientStop { position: 1.0; color: "#00000000" }
            }
        }
        Text {
            id: clockText
            objectName: "playerClock"
            anchors.right: parent.right; anchors.rightMargin: player.safeX
            y: player.safeY
            text: player.vm ? player.vm.clockText : ""
            color: Theme.text
            font.family: Theme.fontFamily
            font.pixelSize: Theme.headingSize
        }
        Text {
            objectName: "playerTitle"
            anchors.left: parent.left; anchors.leftMargin: player.safeX
            anchors.right: clockText.left; anchors.rightMargin: Theme.px(48)
            y: player.safeY
            text: player.vm ? player.vm.title : ""
            color: Theme.text
            elide: Text.ElideRight
            font.family: Theme.fontFamily
            font.pixelSize: Theme.titleSize
            font.bold: true
            style: Text.Raised; styleColor: "#80000000"
        }

        Rectangle {
            anchors.left: parent.left; anchors.right: parent.right; anchors.bottom: parent.bottom
            height: parent.height * 0.35
            gradient: Gradient {
                GradientStop { position: 0.0; color: "#00000000" }
                GradientStop { position: 1.0; color: "#e0000000" }
            }
        }
        Row {
            id: controls
            x: player.safeX
            anchors.bottom: progress.top
            anchors.bottomMargin: Theme.px(28)
            spacing: Theme.px(32)

            // Play/pause state; it carries the focus ring while the overlay is up.
            Rectangle {
                id: playState
                objectName: "playerPlayPause"
                readonly property bool showsFocus: keys.activeFocus && player.overlayShown
                width: Theme.px(88); height: width; radius: width / 2
                color: Theme.focusFill
                border.color: Theme.focusRing
                border.width: showsFocus ? Theme.focusBorder : 0
                Row {
                    anchors.centerIn: parent
                    spacing: Theme.px(10)
                    visible: player.vm && !player.vm.paused
                    Rectangle { width: Theme.px(10); height: Theme.px(36); color: Theme.text }
                    Rectangle { width: Theme.px(10); height: Theme.px(36); color: Theme.text }
                }
                Canvas {
                    id: playGlyph
                    anchors.centerIn: parent
                    anchors.horizontalCenterOffset: Theme.px(4)
                    width: Theme.px(36); height: Theme.px(40)
                    visible: player.vm && player.vm.paused
                    onPaint: {
                        var ctx = getContext("2d")
                        ctx.reset()
                        ctx.fillStyle = Theme.text
                        ctx.beginPath()
                        ctx.moveTo(0, 0); ctx.lineTo(width, height / 2); ctx.lineTo(0, height)
                        ctx.closePath(); ctx.fill()
                    }
                }
            }
            Text {
                objectName: "playerTime"
                anchors.verticalCenter: parent.verticalCenter
                text: player.vm ? player.vm.positionText + "  /  " + player.vm.durationText : ""
                color: Theme.text
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
            Text {
                anchors.verticalCenter: parent.verticalCenter
                text: player.vm && player.vm.paused ? "Paused" : ""
                color: Theme.textDim
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
        }
        Column {
            anchors.right: parent.right; anchors.rightMargin: player.safeX
            anchors.verticalCenter: controls.verticalCenter
            spacing: Theme.px(6)
            Text {
                objectName: "playerEndsAt"
                anchors.right: parent.right
                text: player.vm ? player.vm.endsAtText : ""
                visible: text !== ""
                color: Theme.text
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
            Text {
                objectName: "playerStreamInfo"
                anchors.right: parent.right
                text: player.vm && player.vm.hasStream
                      ? player.vm.peers + (player.vm.peers === 1 ? " peer" : " peers")
                        + "  ·  " + player.vm.speedText
                      : ""
                visible: text !== ""
                color: Theme.textDim
                font.family: Theme.fontFamily
                font.pixelSize: Theme.smallSize
            }
        }

        // Seek bar: the track, the downloaded parts of the file, the played part, a knob.
        Item {
            id: progress
            objectName: "playerProgress"
            x: player.safeX
            width: parent.width - 2 * player.safeX
            anchors.bottom: parent.bottom
            anchors.bottomMargin: player.safeY
            height: Theme.px(12)
            readonly property real played: player.vm ? player.vm.progress : 0
            Rectangle {
                anchors.fill: parent
                radius: height / 2
                color: "#40ffffff"
            }
            Repeater {
                model: player.vm ? player.vm.bufferedRanges : []
                Rectangle {
                    required property var modelData
                    objectName: "playerBufferedRange"
                    x: progress.width * modelData[0]
                    width: Math.max(Theme.px(2), progress.width * (modelData[1] - modelData[0]))
                    height: progress.height
                    radius: height / 2
                    color: "#90ffffff"
                }
            }
            Rectangle {
                objectName: "playerPlayed"
                width: Math.max(height, parent.width * progress.played)
                height: parent.height
                radius: height / 2
                color: Theme.accent
            }
            Rectangle {
                width: Theme.px(28); height: width; radius: width / 2
                anchors.verticalCenter: parent.verticalCenter
                x: parent.width * progress.played - width / 2
                color: Theme.text
                visible: player.vm && player.vm.started
            }
        }
    }

    // Loading / buffering panel with what the stream is doing; errors replace it.
    Rectangle {
        id: bufferPanel
        objectName: "playerBuffering"
        anchors.centerIn: parent
        visible: player.vm && (player.buffering || player.vm.error !== "")
        width: Math.max(player.width * 0.36, panelColumn.implicitWidth + Theme.px(96))
        height: panelColumn.implicitHeight + Theme.px(72)
        radius: Theme.radius * 2
        color: player.vm && player.vm.error !== "" ? "transparent" : "#b0000000"
        Column {
            id: panelColumn
            anchors.centerIn: parent
            spacing: Theme.px(18)
            Spinner {
                objectName: "playerSpinner"
                anchors.horizontalCenter: parent.horizontalCenter
                visible: player.buffering
            }
            Text {
                objectName: "playerMessage"
                anchors.horizontalCenter: parent.horizontalCenter
                width: Math.min(implicitWidth, player.width * 0.7)
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.Wrap
                text: !player.vm ? "" : player.vm.error !== ""
                      ? player.vm.error + "\nPress Back to return."
                      : (player.vm.loading ? "Loading…" : (player.buffering ? "Buffering…" : ""))
                color: player.vm && player.vm.error !== "" ? Theme.error : Theme.text
                font.family: Theme.fontFamily
                font.pixelSize: player.vm && player.vm.error !== "" ? Theme.bodySize : Theme.headingSize
            }
            Text {
                objectName: "playerBufferingStats"
                anchors.horizontalCenter: parent.horizontalCenter
                visible: player.buffering && text !== ""
                text: player.vm && player.vm.hasStream
                      ? player.vm.peers + (player.vm.peers === 1 ? " peer" : " peers")
                        + "  ·  " + player.vm.speedText
                        + (player.vm.bufferedSecondsText !== ""
                           ? "  ·  " + player.vm.bufferedSecondsText : "")
                      : ""
                color: Theme.text
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
            Text {
                objectName: "playerSafeToStart"
                anchors.horizontalCenter: parent.horizontalCenter
                visible: player.buffering && text !== ""
                text: player.vm ? player.vm.safeToStartText : ""
                color: Theme.textDim
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
        }
    }

    // Stall recovery's notice ("Switched to 720p · x264 from YTS: the previous source
    // stalled"): on its own, over the film, whether or not the OSD is up.
    Rectangle {
        objectName: "playerNotice"
        anchors.horizontalCenter: parent.horizontalCenter
        y: player.safeY + Theme.px(96)
        visible: !!player.vm && player.vm.notice !== ""
        width: noticeText.width + Theme.px(64)
        height: noticeText.height + Theme.px(32)
        radius: Theme.radius * 2
        color: "#d0000000"
        Text {
            id: noticeText
            objectName: "playerNoticeText"
            anchors.centerIn: parent
            width: Math.min(implicitWidth, player.width * 0.7)
            wrapMode: Text.Wrap
            text: player.vm ? player.vm.notice : ""
            color: Theme.text
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }
    }

    // Series: "Next: S01E02 Title — playing in 10 s" near the end of an episode.
    Rectangle {
        objectName: "playerNextEpisode"
        anchors.right: parent.right
        anchors.rightMargin: player.safeX
        anchors.bottom: parent.bottom
        anchors.bottomMargin: player.safeY + Theme.px(200)
        visible: !!player.vm && player.vm.nextVisible
        // OK and Back act on it: it shows the focus whenever the OSD's button does not.
        readonly property bool showsFocus: visible && keys.activeFocus && !player.overlayShown
        width: nextColumn.width + Theme.px(64)
        height: nextColumn.height + Theme.px(40)
        radius: Theme.radius * 2
        color: "#e0000000"
        border.color: Theme.accent
        border.width: showsFocus ? Theme.focusBorder : Theme.px(3)
        Column {
            id: nextColumn
            anchors.centerIn: parent
            spacing: Theme.px(12)
            Text {
                objectName: "playerNextEpisodeText"
                width: Math.min(implicitWidth, player.width * 0.5)
                wrapMode: Text.Wrap
                text: player.vm ? player.vm.nextText : ""
                color: Theme.text
                font.family: Theme.fontFamily
                font.pixelSize: Theme.headingSize
                font.bold: true
            }
            Text {
                text: "OK: play now    Back: keep watching"
                color: Theme.textDim
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
        }
    }

    TracksPanel {
        id: tracksPanel
        anchors.top: parent.top; anchors.bottom: parent.bottom; anchors.right: parent.right
        width: Math.min(parent.width, Math.max(parent.width * 0.55, Theme.px(1060)))
        visible: player.tracksOpen
        vm: player.vm
        onCloseRequested: player.closeTracks()
    }
}
