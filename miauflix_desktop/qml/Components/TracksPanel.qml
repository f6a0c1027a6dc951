// Tracks panel (Menu in the player): Audio and Subtitles lists side by side over the right
// side of the picture; the Subtitles list starts with "Off" and ends with the subtitle
// delay and size steps, "Load subtitle file…" (a FileList of *.srt/*.ass/*.ssa/*.vtt)
// and, only when an OpenSubtitles key is configured, "Search OpenSubtitles…" (results:
// language, release, downloads; OK downloads and shows it). Up/Down move, OK selects,
// Left/Right switch lists, Back leaves a sub-page (the file list goes up a folder first)
// or closes, Menu closes (closeRequested); it never leaves the player itself.
import QtQuick
import "../Style"

FocusScope {
    id: panel
    objectName: "tracksPanel"
    property QtObject vm
    property int column: 0  // 0: Audio, 1: Subtitles
    property int audioRow: 0
    property int subRow: 0
    property string page: "tracks"  // "tracks", "files" or "online"
    property bool refocusOnTracks: false
    signal closeRequested()

    readonly property QtObject subsVm: vm ? vm.subtitles : null
    readonly property bool onlineAvailable: !!subsVm && subsVm.onlineAvailable
    readonly property var online: subsVm ? subsVm.onlineResults : []

    readonly property var audio: vm ? vm.audioTracks : []
    readonly property var subs: vm ? vm.subtitleTracks : []
    // Repeaters count rows (an int model keeps the delegates, and so the focus, when
    // only the "selected" flags change); rows read their data from the lists above.
    readonly property int audioCount: audio.length
    readonly property int subCount: 1 + subs.length + 4 + (subsVm ? 1 : 0)
                                    + (onlineAvailable ? 1 : 0)
    readonly property int firstStepRow: 1 + subs.length

    function selectedRow(list) {
        for (var i = 0; i < list.length; ++i)
            if (list[i].selected) return i
        return -1
    }
    // Start on what plays now: the selected audio track, the selected subtitles (or Off).
    function open() {
        page = "tracks"
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
        else if (row === firstStepRow + 3) vm.stepSubScale(1)
        else if (row === firstStepRow + 4) openFiles()
        else openOnline()
    }
    function openFiles() {
        page = "files"
        subsVm.browseFiles()
        fileList.start()
    }
    function openOnline() {
        page = "online"
        onlineRow = 1  // the first result once they arrive; "‹ Back" until then
        subsVm.searchOnline()
        focusOnline()
    }
    // Back from a sub-page: the tracks again, on the entry that opened it.
    function backToTracks() {
        page = "tracks"
        column = 1
        focusCurrent()
    }
    property int onlineRow: 0
    readonly property int onlineFocusRow: Math.max(0, Math.min(onlineRow, online.length))
    function focusOnline() {
        onlineRepeater.currentIndex = onlineFocusRow
        onlineRepeater.forceActiveFocus()
        var entry = onlineRepeater.itemAtIndex(onlineFocusRow)
        if (entry) entry.forceActiveFocus()
    }
    function activateOnline(row) {
        if (row === 0) backToTracks()
        else subsVm.loadOnline(row - 1)
    }
    Connections {
        target: panel.subsVm
        function onSubtitleLoaded() {
            // Show the tracks with the new subtitles selected once mpv lists them. mpv's
            // track list may already have changed before this signal (the command's
            // reply and the property change race): focus the selected row now, and
            // again if the list changes after.
            panel.refocusOnTracks = true
            panel.page = "tracks"
            panel.column = 1
            panel.subRow = panel.selectedRow(panel.subs) + 1
            panel.focusCurrent()
        }
        function onOnlineChanged() {
            if (panel.page === "online") Qt.callLater(panel.focusOnline)
        }
    }
    Connections {
        target: panel.vm
        function onTracksChanged() {
            if (!panel.refocusOnTracks || panel.page !== "tracks") return
            panel.refocusOnTracks = false
            panel.subRow = panel.selectedRow(panel.subs) + 1
            Qt.callLater(panel.focusCurrent)
        }
    }

    Keys.onPressed: (event) => {
        if (page === "online") {
            switch (event.key) {
            case Qt.Key_Up:
                onlineRow = Math.max(0, onlineFocusRow - 1); focusOnline()
                event.accepted = true
                return
            case Qt.Key_Down:
                onlineRow = Math.min(online.length, onlineFocusRow + 1); focusOnline()
                event.accepted = true
                return
            case Qt.Key_Escape:
            case Qt.Key_Backspace:
            case Qt.Key_Back:
                backToTracks(); event.accepted = true
                return
            }
        }
        if (page !== "tracks") {
            // The file list handles its own keys; what reaches here is Menu, Play/Pause
            // or a key with nothing to do (Left/Right must not switch hidden lists).
            if (event.key === Qt.Key_Left || event.key === Qt.Key_Right) {
                event.accepted = true
                return
            }
        }
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
            text: panel.page === "files" ? "Subtitle file"
                  : panel.page === "online" ? "OpenSubtitles" : "Tracks"
            color: Theme.text
            font.family: Theme.fontFamily
            font.pixelSize: Theme.headingSize
            font.bold: true
        }
        Text {
            objectName: "subtitleMessage"
            width: parent.width
            visible: text !== ""
            text: panel.subsVm ? panel.subsVm.message : ""
            color: Theme.textDim
            wrapMode: Text.WordWrap
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }

        FileList {
            id: fileList
            objectName: "subtitleFileList"
            visible: panel.page === "files"
            width: parent.width
            height: content.height - y
            browser: panel.subsVm ? panel.subsVm.files : null
            title: "Load subtitle file (*.srt, *.ass, *.ssa, *.vtt)"
            onCloseRequested: panel.backToTracks()
        }

        Item {
            id: onlinePage
            objectName: "onlineSubtitles"
            visible: panel.page === "online"
            width: parent.width
            height: content.height - y
            Text {
                id: onlineStatusText
                objectName: "onlineStatus"
                width: parent.width
                visible: text !== ""
                text: panel.subsVm ? panel.subsVm.onlineStatus : ""
                color: Theme.textDim
                wrapMode: Text.WordWrap
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
                bottomPadding: Theme.px(8)
            }
            // A list that scrolls: the API answers up to 60 results a page.
            ListView {
                id: onlineRepeater
                objectName: "onlineList"
                anchors.top: onlineStatusText.visible ? onlineStatusText.bottom : parent.top
                anchors.left: parent.left
                anchors.right: parent.right
                anchors.bottom: parent.bottom
                clip: true
                spacing: Theme.px(6)
                keyNavigationEnabled: false  // Up/Down go through the panel's handler
                // Room for the focused row's 1.03 scale and ring inside the clip.
                leftMargin: Theme.px(28); rightMargin: Theme.px(28)
                topMargin: Theme.px(6); bottomMargin: Theme.px(6)
                highlightMoveDuration: Theme.animMs
                preferredHighlightBegin: height * 0.25
                preferredHighlightEnd: height * 0.75
                highlightRangeMode: ListView.ApplyRange
                model: panel.online.length + 1
                // Row 0 "‹ Back to tracks"; then one two-line row per result: language and
                // release, then downloads and flags (hash match, hearing impaired...).
                delegate: Rectangle {
                    id: resultRow
                    required property int index
                    readonly property var result: index > 0 && index - 1 < panel.online.length
                                                  ? panel.online[index - 1] : null
                    property alias text: firstLine.text
                    readonly property string detail: secondLine.text
                    readonly property bool showsFocus: activeFocus  // for the remote-walk tests
                    objectName: index === 0 ? "onlineBack" : "onlineResult_" + (index - 1)
                    width: ListView.view.width - Theme.px(56)
                    implicitHeight: lines.implicitHeight + Theme.px(24)
                    radius: Theme.radius
                    color: activeFocus ? Theme.focusFill : "transparent"
                    border.color: activeFocus ? Theme.focusRing : "transparent"
                    border.width: Theme.focusBorder
                    scale: activeFocus ? 1.03 : 1.0
                    z: activeFocus ? 2 : 1
                    Behavior on scale { NumberAnimation { duration: Theme.animMs } }
                    Keys.onReturnPressed: panel.activateOnline(index)
                    Keys.onEnterPressed: panel.activateOnline(index)
                    Column {
                        id: lines
                        x: Theme.px(24)
                        width: parent.width - Theme.px(48)
                        anchors.verticalCenter: parent.verticalCenter
                        spacing: Theme.px(2)
                        Text {
                            id: firstLine
                            width: parent.width
                            text: resultRow.index === 0 ? "‹ Back to tracks"
                                  : resultRow.result ? resultRow.result.language + "  ·  "
                                                       + resultRow.result.release : ""
                            color: Theme.text
                            elide: Text.ElideRight
                            font.family: Theme.fontFamily
                            font.pixelSize: Theme.bodySize
                            font.bold: resultRow.activeFocus
                        }
                        Text {
                            id: secondLine
                            width: parent.width
                            visible: text !== ""
                            text: resultRow.result
                                  ? resultRow.result.downloads
                                    + (resultRow.result.flags ? "  ·  " + resultRow.result.flags
                                                              : "")
                                  : ""
                            color: resultRow.activeFocus ? Theme.text : Theme.textDim
                            elide: Text.ElideRight
                            font.family: Theme.fontFamily
                            font.pixelSize: Theme.smallSize
                        }
                    }
                    MouseArea {
                        anchors.fill: parent
                        onClicked: { resultRow.forceActiveFocus()
                                     panel.activateOnline(resultRow.index) }
                    }
                }
            }
        }

        Row {
            id: lists
            visible: panel.page === "tracks"
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
                                       "subSizeMinus", "subSizePlus",
                                       "subLoadFile", "subSearchOnline"][step] || ""
                        width: parent.width
                        text: index === 0 ? "Off"
                              : track ? track.label
                              : ["Subtitle delay −", "Subtitle delay +",
                                 "Subtitle size −", "Subtitle size +",
                                 "Load subtitle file…", "Search OpenSubtitles…"][step] || ""
                        detail: track ? track.codec
                                : step === 0 || step === 1
                                  ? (panel.vm ? panel.vm.subDelayText : "")
                                  : step === 2 || step === 3
                                    ? (panel.vm ? panel.vm.subScaleText : "") : ""
                        selected: index === 0 ? (!!panel.vm && panel.vm.subtitlesOff)
                                  : !!track && track.selected
                        onActivated: panel.activateSub(index)
                    }
                }
            }
        }
    }
}
