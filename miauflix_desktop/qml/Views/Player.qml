// Player: the mpv item fills the screen; an overlay (title, time, progress, play state)
// shows on any key and hides after a few seconds; a spinner until the first frame.
import QtQuick
import Miauflix.Video
import "../Style"
import "../Components"

FocusScope {
    id: player
    objectName: "playerView"
    property QtObject vm
    property bool overlayWanted: true
    readonly property bool overlayShown: overlayWanted || !vm || vm.paused || vm.loading || vm.error !== ""

    function showOverlay() {
        overlayWanted = true
        hideTimer.restart()
    }
    onVisibleChanged: if (visible) showOverlay()

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
            case Qt.Key_Down:
            case Qt.Key_Menu:
                event.accepted = true; break
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
            height: parent.height * 0.22
            gradient: Gradient {
                GradientStop { position: 0.0; color: "#c0000000" }
                GradientStop { position: 1.0; color: "#00000000" }
            }
        }
        Text {
            objectName: "playerTitle"
            x: parent.width * 0.05; y: parent.height * 0.05
            width: parent.width * 0.9
            text: player.vm ? player.vm.title : ""
            color: Theme.text
            elide: Text.ElideRight
            font.family: Theme.fontFamily
            font.pixelSize: Theme.titleSize
            font.bold: true
        }

        Rectangle {
            anchors.left: parent.left; anchors.right: parent.right; anchors.bottom: parent.bottom
            height: parent.height * 0.3
            gradient: Gradient {
                GradientStop { position: 0.0; color: "#00000000" }
                GradientStop { position: 1.0; color: "#d0000000" }
            }
        }
        Row {
            id: controls
            x: parent.width * 0.05
            anchors.bottom: progress.top
            anchors.bottomMargin: Theme.px(24)
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
        Rectangle {
            id: progress
            objectName: "playerProgress"
            x: parent.width * 0.05
            width: parent.width * 0.9
            anchors.bottom: parent.bottom
            anchors.bottomMargin: parent.height * 0.05
            height: Theme.px(10)
            radius: height / 2
            color: "#55ffffff"
            Rectangle {
                width: parent.width * (player.vm ? player.vm.progress : 0)
                height: parent.height
                radius: parent.radius
                color: Theme.accent
            }
        }
    }

    Column {
        anchors.centerIn: parent
        spacing: Theme.px(24)
        visible: player.vm && (player.vm.loading || player.vm.error !== "")
        Spinner {
            objectName: "playerSpinner"
            anchors.horizontalCenter: parent.horizontalCenter
            visible: player.vm && player.vm.loading
        }
        Text {
            objectName: "playerMessage"
            anchors.horizontalCenter: parent.horizontalCenter
            width: player.width * 0.7
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            text: player.vm ? (player.vm.error !== "" ? player.vm.error + "\nPress Back to return." : (player.vm.loading ? "Loading…" : "")) : ""
            color: player.vm && player.vm.error !== "" ? Theme.error : Theme.text
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }
    }
}
