// Tracks panel (Menu in the player): Audio and Subtitles lists side by side over the right
// side of the picture; the Subtitles list starts with "Off" and ends with the subtitle
// delay and size steps. Up/Down move, OK selects, Left/Right switch lists, Back or Menu
// closes (closeRequested); it never leaves the player itself.
import QtQuick
import "../Style"

FocusScope {
    id: panel
    objectName: "tracksPanel"
    property QtObject vm
    property int column: 0  // 0: Audio, 1: Subtitles
    property int audioRow: 0
    property int subRow: 0
    signal closeRequested()

    readonly property var audio: vm ? vm.audioTracks : []
    readonly property var subs: vm ? vm.subtitleTracks : []
    // Repeaters count rows (an int model keeps the delegates, and so the focus, when
    // only the "selected" flags change); rows read their data from the lists above.
    readonly property int audioCount: audio.length
    readonly property int subCount: 1 + subs.length + 4
    readonly property int firstStepRow: 1 + subs.length

    function selectedRow(list) {
        for (var i = 0; i < list.length; ++i)
            if (list[i].selected) return i
        return -1
    }
    // Start on what plays now: the selected audio track, the selected subtitles (or Off).
    function open() {
        audioRow = Math.max(0, selectedRow(audio))
        subRow = selectedRow(subs) + 1
        column = audioCount > 0 ? 0 : 1
        focusCurrent()
    }
    function focusCurrent() {
        if (column === 0 && audioCount === 0) column = 1
        var rep = column === 0 ? audioRepeater : subRepeater
        var row = Math.max(0, Math.min(column === 0 ? audioRow : subRow, rep.count - 1))
        if (column === 0) audioRow = row; else subRow = row
        var entry = rep.itemAt(row)
        if (entry) entry.forceActiveFocus()
    }
    function move(delta) {
        if (column === 0) audioRow = Math.max(0, Math.min(audioCount - 1, audioRow + delta))
        else subRow = Math.max(0, Math.min(subCount - 1, subRow + delta))
        focusCurrent()
    }
    function activateSub(row) {
        if (row === 0) vm.selectSubtitle(0)
        else if (row < firstStepRow) vm.selectSubtitle(subs[row - 1].id)
        else if (row === firstStepRow) vm.stepSubDelay(-1)
        else if (row === firstStepRow + 1) vm.stepSubDelay(1)
        else if (row === firstStepRow + 2) vm.stepSubScale(-1)
        else vm.stepSubScale(1)
    }

    Keys.onPressed: (event) => {
        switch (event.key) {
        case Qt.Key_Up: move(-1); event.accepted = true; break
        case Qt.Key_Down: move(1); event.accepted = true; break
        case Qt.Key_Left:
            if (column === 1 && audioCount > 0) { column = 0; focusCurrent() }
            event.accepted = true; break
        case Qt.Key_Right:
            if (column === 0) { column = 1; focusCurrent() }
            event.accepted = true; break
        case Qt.Key_Escape:
        case Qt.Key_Backspace:
        case Qt.Key_Back:
        case Qt.Key_Menu:
            panel.closeRequested(); event.accepted = true; break
        case Qt.Key_MediaTogglePlayPause:
        case Qt.Key_Space:
            if (vm) vm.togglePause()
            event.accepted = true; break
        }
    }

    Rectangle {
        anchors.fill: parent
        color: "#e6101218"
    }

    Column {
        id: content
        anchors.fill: parent
        anchors.margins: Theme.px(48)
        spacing: Theme.px(28)

        Text {
            text: "Tracks"
            color: Theme.text
            font.family: Theme.fontFamily
            font.pixelSize: Theme.headingSize
            font.bold: true
        }

        Row {
            id: lists
            spacing: Theme.px(32)
            // The Subtitles list is wider: its step rows carry a value too.
            readonly property real audioWidth: (content.width - spacing) * 0.42

            Column {
                width: lists.audioWidth
                spacing: Theme.px(8)
                Text {
                    text: "Audio"
                    color: panel.column === 0 ? Theme.text : Theme.textDim
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.bodySize
                    font.bold: true
                    bottomPadding: Theme.px(8)
                }
                Text {
                    visible: panel.audioCount === 0
                    text: "No audio tracks"
                    color: Theme.textDim
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.smallSize
                }
                Repeater {
                    id: audioRepeater
                    model: panel.audioCount
                    ListEntry {
                        required property int index
                        readonly property var track: index < panel.audio.length
                                                     ? panel.audio[index] : null
                        objectName: track ? "audioTrack_" + track.id : ""
                        width: parent.width
                        text: track ? track.label : ""
                        detail: track ? track.codec : ""
                        selected: !!track && track.selected
                        onActivated: if (track) panel.vm.selectAudio(track.id)
                    }
                }
            }

            Column {
                width: content.width - lists.spacing - lists.audioWidth
                spacing: Theme.px(8)
                Text {
                    text: "Subtitles"
                    color: panel.column === 1 ? Theme.text : Theme.textDim
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.bodySize
                    font.bold: true
                    bottomPadding: Theme.px(8)
                }
                Repeater {
                    id: subRepeater
                    model: panel.subCount
                    ListEntry {
                        required property int index
                        readonly property int step: index - panel.firstStepRow
                        readonly property var track: index > 0 && step < 0
                                                     && index - 1 < panel.subs.length
                                                     ? panel.subs[index - 1] : null
                        objectName: index === 0 ? "subOff"
                                    : track ? "subTrack_" + track.id
                                    : ["subDelayMinus", "subDelayPlus",
                                       "subSizeMinus", "subSizePlus"][step] || ""
                        width: parent.width
                        text: index === 0 ? "Off"
                              : track ? track.label
                              : ["Subtitle delay −", "Subtitle delay +",
                                 "Subtitle size −", "Subtitle size +"][step] || ""
                        detail: track ? track.codec
                                : step === 0 || step === 1
                                  ? (panel.vm ? panel.vm.subDelayText : "")
                                  : step >= 2 ? (panel.vm ? panel.vm.subScaleText : "") : ""
                        selected: index === 0 ? (!!panel.vm && panel.vm.subtitlesOff)
                                  : !!track && track.selected
                        onActivated: panel.activateSub(index)
                    }
                }
            }
        }
    }
}
