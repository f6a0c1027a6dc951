// First run (and Menu → TMDB key): the TMDB key, checked against the API before saving,
// the language, or skip to the demo library. Up/Down move between the rows.
// "OpenSubtitles key…" opens the optional second page (same screen, Back returns): an
// OpenSubtitles API key checked against the API, stored, or removed.
import QtQuick
import "../Style"
import "../Components"

FocusScope {
    id: setup
    objectName: "setupView"
    property QtObject vm
    // "tmdb" or "subtitles": which page the left half shows.
    property string page: "tmdb"
    // The on-screen keyboard types capitals when on (OpenSubtitles keys are mixed case).
    property bool capitals: false
    readonly property Item typingTarget: page === "subtitles" ? subsInput : keyInput
    readonly property bool subsStored: !!vm && vm.subtitlesKeyStored

    function showPage(name) {
        page = name
        if (name === "subtitles") {
            if (vm) vm.refreshSubtitlesKey()
            subsInput.forceActiveFocus()
        } else {
            subtitlesButton.forceActiveFocus()
        }
    }

    Keys.onPressed: (event) => {
        // Back on page two (from its rows or the keyboard) returns to page one, not Home.
        if (page === "subtitles" && (event.key === Qt.Key_Escape || event.key === Qt.Key_Back
                                     || event.key === Qt.Key_Backspace)) {
            showPage("tmdb")
            event.accepted = true
        // The keyboard leaves Down on its last row unaccepted: on to the Capitals switch.
        } else if (event.key === Qt.Key_Down && keyboard.activeFocus) {
            capitalsButton.forceActiveFocus()
            event.accepted = true
        }
    }

    // Leaving the screen (setup done, Back from the Menu's Setup) starts over on page one.
    onVisibleChanged: if (!visible) { page = "tmdb"; keyInput.focus = true }

    Connections {
        target: setup.vm
        function onSubtitlesKeySaved() { subsInput.clear(); subsDoneButton.forceActiveFocus() }
        function onSubtitlesKeyRemoved() { subsInput.forceActiveFocus() }
    }

    Column {
        id: tmdbPage
        objectName: "setupTmdbPage"
        visible: setup.page === "tmdb"
        x: parent.width * 0.05
        y: parent.height * 0.08
        // the right half belongs to the on-screen keyboard
        width: parent.width * 0.5
        spacing: Theme.px(24)

        Text {
            text: "Welcome to Miauflix"
            color: Theme.accent
            font.family: Theme.fontFamily
            font.pixelSize: Theme.titleSize
            font.bold: true
        }
        Text {
            width: parent.width
            text: "Enter your TMDB API key (a free account at themoviedb.org gives you one) for films and series, or skip and use the demo library."
            color: Theme.text
            wrapMode: Text.Wrap
            lineHeight: 1.2
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }

        Text {
            text: "TMDB API key"
            color: Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
        Rectangle {
            id: keyField
            objectName: "setupKeyField"
            readonly property bool showsFocus: keyInput.activeFocus
            width: parent.width
            height: keyInput.implicitHeight + Theme.px(32)
            radius: Theme.radius
            color: Theme.surface
            border.color: keyInput.activeFocus ? Theme.focusRing : Theme.surfaceRaised
            border.width: Theme.focusBorder
            TextInput {
                id: keyInput
                objectName: "setupKeyInput"
                x: Theme.px(24)
                width: parent.width - Theme.px(48)
                anchors.verticalCenter: parent.verticalCenter
                focus: true
                clip: true
                color: Theme.text
                selectionColor: Theme.accent
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
                KeyNavigation.down: languages
                // At the end of the text Right moves to the on-screen keyboard (remote only).
                KeyNavigation.right: keyboard
                Keys.onReturnPressed: setup.vm.checkAndSave(text)
                Keys.onEnterPressed: setup.vm.checkAndSave(text)
                Text {
                    anchors.verticalCenter: parent.verticalCenter
                    visible: keyInput.text === ""
                    text: "Paste or type the key"
                    color: Theme.textDim
                    font: keyInput.font
                }
            }
            MouseArea { anchors.fill: parent; onClicked: keyInput.forceActiveFocus() }
        }

        Text {
            text: "Language"
            color: Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
        ListView {
            id: languages
            objectName: "setupLanguages"
            width: parent.width
            height: Theme.px(84)
            clip: true
            orientation: ListView.Horizontal
            spacing: Theme.px(20)
            keyNavigationEnabled: true
            interactive: false
            model: setup.vm ? setup.vm.languageNames : []
            currentIndex: 0
            KeyNavigation.up: keyInput
            KeyNavigation.down: saveButton
            delegate: ListEntry {
                required property int index
                required property string modelData
                objectName: "language_" + (setup.vm ? setup.vm.languages[index] : index)
                width: Theme.px(230)
                anchors.verticalCenter: parent ? parent.verticalCenter : undefined
                text: modelData
                selected: setup.vm && setup.vm.language === setup.vm.languages[index]
                focus: ListView.isCurrentItem
                onActivated: { languages.currentIndex = index; setup.vm.language = setup.vm.languages[index] }
            }
        }

        Flow {
            width: parent.width
            spacing: Theme.px(24)
            FocusButton {
                id: saveButton
                objectName: "setupSaveButton"
                text: "Check & save"
                KeyNavigation.up: languages
                KeyNavigation.right: skipButton
                KeyNavigation.down: skipButton  // the Flow may wrap Skip below
                onActivated: setup.vm.checkAndSave(keyInput.text)
            }
            FocusButton {
                id: skipButton
                objectName: "setupSkipButton"
                text: "Skip — use the demo library"
                KeyNavigation.up: saveButton
                KeyNavigation.left: saveButton
                KeyNavigation.down: subtitlesButton.visible ? subtitlesButton : null
                KeyNavigation.right: subtitlesButton.visible ? subtitlesButton : null
                onActivated: setup.vm.skip()
            }
            FocusButton {
                id: subtitlesButton
                objectName: "setupSubtitlesButton"
                visible: !!setup.vm && setup.vm.subtitlesAvailable
                text: setup.subsStored ? "OpenSubtitles key ✓" : "OpenSubtitles key…"
                KeyNavigation.up: skipButton
                KeyNavigation.left: skipButton
                onActivated: setup.showPage("subtitles")
            }
        }

        Row {
            spacing: Theme.px(20)
            Spinner {
                width: Theme.px(48); height: Theme.px(48)
                visible: setup.vm && setup.vm.busy
            }
            Text {
                objectName: "setupMessage"
                text: setup.vm ? setup.vm.message : ""
                color: setup.vm && setup.vm.isError ? Theme.error : Theme.textDim
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
                font.bold: setup.vm && setup.vm.isError
            }
        }
    }

    // Page two: the optional OpenSubtitles key. Back (or Done) returns to page one.
    Column {
        id: subsPage
        objectName: "setupSubtitlesPage"
        visible: setup.page === "subtitles"
        x: parent.width * 0.05
        y: parent.height * 0.08
        width: parent.width * 0.5
        spacing: Theme.px(24)

        Text {
            text: "Subtitles (optional)"
            color: Theme.accent
            font.family: Theme.fontFamily
            font.pixelSize: Theme.titleSize
            font.bold: true
        }
        Text {
            width: parent.width
            text: "With an OpenSubtitles API key (free: an account at opensubtitles.com, then API consumers → New consumer) the player's Tracks panel can search and download subtitles. Subtitles inside the file and subtitle files on disk work without one."
            color: Theme.text
            wrapMode: Text.Wrap
            lineHeight: 1.2
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }
        Text {
            objectName: "setupSubtitlesState"
            text: setup.subsStored ? "A key is stored. Enter another to replace it, or remove it."
                                   : "No key stored."
            color: Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
        Rectangle {
            id: subsField
            objectName: "setupSubtitlesKeyField"
            readonly property bool showsFocus: subsInput.activeFocus
            width: parent.width
            height: subsInput.implicitHeight + Theme.px(32)
            radius: Theme.radius
            color: Theme.surface
            border.color: subsInput.activeFocus ? Theme.focusRing : Theme.surfaceRaised
            border.width: Theme.focusBorder
            TextInput {
                id: subsInput
                objectName: "setupSubtitlesKeyInput"
                x: Theme.px(24)
                width: parent.width - Theme.px(48)
                anchors.verticalCenter: parent.verticalCenter
                clip: true
                color: Theme.text
                selectionColor: Theme.accent
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
                KeyNavigation.down: subsSaveButton
                KeyNavigation.right: keyboard
                Keys.onReturnPressed: setup.vm.checkAndSaveSubtitlesKey(text)
                Keys.onEnterPressed: setup.vm.checkAndSaveSubtitlesKey(text)
                Text {
                    anchors.verticalCenter: parent.verticalCenter
                    visible: subsInput.text === ""
                    text: "OpenSubtitles API key"
                    color: Theme.textDim
                    font: subsInput.font
                }
            }
            MouseArea { anchors.fill: parent; onClicked: subsInput.forceActiveFocus() }
        }

        Flow {
            width: parent.width
            spacing: Theme.px(24)
            FocusButton {
                id: subsSaveButton
                objectName: "setupSubtitlesSaveButton"
                text: "Check & save"
                KeyNavigation.up: subsInput
                KeyNavigation.right: subsRemoveButton.visible ? subsRemoveButton : subsDoneButton
                onActivated: setup.vm.checkAndSaveSubtitlesKey(subsInput.text)
            }
            FocusButton {
                id: subsRemoveButton
                objectName: "setupSubtitlesRemoveButton"
                visible: setup.subsStored
                text: "Remove key"
                KeyNavigation.up: subsInput
                KeyNavigation.left: subsSaveButton
                KeyNavigation.right: subsDoneButton
                onActivated: setup.vm.removeSubtitlesKey()
            }
            FocusButton {
                id: subsDoneButton
                objectName: "setupSubtitlesDoneButton"
                text: "Done"
                KeyNavigation.up: subsInput
                KeyNavigation.left: subsRemoveButton.visible ? subsRemoveButton : subsSaveButton
                onActivated: setup.showPage("tmdb")
            }
        }

        Row {
            width: parent.width
            spacing: Theme.px(20)
            Spinner {
                id: subsSpinner
                width: Theme.px(48); height: Theme.px(48)
                visible: !!setup.vm && setup.vm.subtitlesBusy
            }
            Text {
                objectName: "setupSubtitlesMessage"
                width: parent.width - (subsSpinner.visible ? subsSpinner.width + parent.spacing : 0)
                text: setup.vm ? setup.vm.subtitlesMessage : ""
                color: setup.vm && setup.vm.subtitlesIsError ? Theme.error : Theme.textDim
                wrapMode: Text.Wrap
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
                font.bold: !!setup.vm && setup.vm.subtitlesIsError
            }
        }
    }

    // With only a remote: Right from a key field opens this keyboard (a TMDB v3 key is 32
    // characters of 0-9a-f); Left from its first column goes back to the field, Down from
    // its last row reaches the Capitals switch below it.
    OnScreenKeyboard {
        id: keyboard
        objectName: "setupKeyboard"
        x: parent.width * 0.6
        y: parent.height * 0.08
        onTyped: (t) => setup.typingTarget.insert(setup.typingTarget.cursorPosition,
                                                   setup.capitals ? t.toUpperCase() : t)
        onBackspace: if (setup.typingTarget.cursorPosition > 0)
                         setup.typingTarget.remove(setup.typingTarget.cursorPosition - 1,
                                                   setup.typingTarget.cursorPosition)
        onClear: setup.typingTarget.clear()
        onLeftEdge: setup.typingTarget.forceActiveFocus()
    }
    FocusButton {
        id: capitalsButton
        objectName: "setupCapitalsButton"
        x: keyboard.x
        y: keyboard.y + keyboard.height + Theme.px(24)
        text: setup.capitals ? "Capitals: on (ABC)" : "Capitals: off (abc)"
        KeyNavigation.up: keyboard
        Keys.onLeftPressed: setup.typingTarget.forceActiveFocus()
        onActivated: setup.capitals = !setup.capitals
    }
}
