package i18n

// Translation (petclient/translateui).
const (
	TranslateSelection   Key = "translate.selection"
	TranslateTypeIn      Key = "translate.typein"
	TranslateTitle       Key = "translate.title"
	TranslateHint        Key = "translate.hint"
	TranslateGo          Key = "translate.go"
	TranslateCopy        Key = "translate.copy"
	TranslateSpeak       Key = "translate.speak"
	TranslateMore        Key = "translate.more"
	TranslateClose       Key = "translate.close"
	TranslateNothing     Key = "translate.nothing"
	TranslateNotFound    Key = "translate.notfound"
	TranslateWorking     Key = "translate.working"
	TranslateNoSpeech    Key = "translate.nospeech"
	TranslateScreen      Key = "translate.screen"
	TranslateNoOCR       Key = "translate.noocr"
	TranslateReading     Key = "translate.reading"
	TranslateNoText      Key = "translate.notext"
	TranslateKeys        Key = "translate.keys"
	TranslateKeysTitle   Key = "translate.keys.title"
	TranslateKeysService Key = "translate.keys.service"
	TranslateKeysSecret  Key = "translate.keys.secret"
	TranslateKeysURL     Key = "translate.keys.url"
	TranslateKeysHint    Key = "translate.keys.hint"
	AboutDictionary      Key = "about.dictionary"
)

func init() {
	for k, v := range map[Key]string{
		TranslateSelection:   "Translate selection",
		TranslateTypeIn:      "Translate…",
		TranslateTitle:       "Translate",
		TranslateHint:        "An English word, phrase or sentence (or Chinese)",
		TranslateGo:          "Translate",
		TranslateCopy:        "Copy",
		TranslateSpeak:       "Speak",
		TranslateMore:        "More",
		TranslateClose:       "Close",
		TranslateNothing:     "Select some English text first (or copy it).",
		TranslateNotFound:    "“%s” is not in the dictionary.",
		TranslateWorking:     "Translating…",
		TranslateNoSpeech:    "Speaking needs espeak-ng (sudo apt-get install espeak-ng).",
		TranslateScreen:      "Translate screen text",
		TranslateNoOCR:       "Reading screen text needs tesseract: sudo apt-get install tesseract-ocr tesseract-ocr-eng",
		TranslateReading:     "Reading the text…",
		TranslateNoText:      "No English text found there.",
		TranslateKeys:        "Translation services…",
		TranslateKeysTitle:   "Online translation",
		TranslateKeysService: "Service for sentences",
		TranslateKeysSecret:  "Key / secret",
		TranslateKeysURL:     "Server URL (LibreTranslate)",
		TranslateKeysHint:    "Words are translated offline. Sentences go to this service; the key is kept in the desktop keyring (or a private file).",
		AboutDictionary:      "English–Chinese dictionary",
	} {
		catalogues[English][k] = v
	}
	for k, v := range map[Key]string{
		TranslateSelection:   "翻译选中文字",
		TranslateTypeIn:      "翻译…",
		TranslateTitle:       "翻译",
		TranslateHint:        "输入英文单词、短语或句子（或中文）",
		TranslateGo:          "翻译",
		TranslateCopy:        "复制",
		TranslateSpeak:       "朗读",
		TranslateMore:        "详情",
		TranslateClose:       "关闭",
		TranslateNothing:     "请先选中（或复制）一段英文。",
		TranslateNotFound:    "词典里没有“%s”。",
		TranslateWorking:     "正在翻译…",
		TranslateNoSpeech:    "朗读需要 espeak-ng（sudo apt-get install espeak-ng）。",
		TranslateScreen:      "翻译屏幕文字",
		TranslateNoOCR:       "识别屏幕文字需要 tesseract：sudo apt-get install tesseract-ocr tesseract-ocr-eng",
		TranslateReading:     "正在识别文字…",
		TranslateNoText:      "那里没有找到英文。",
		TranslateKeys:        "翻译服务…",
		TranslateKeysTitle:   "在线翻译",
		TranslateKeysService: "句子翻译服务",
		TranslateKeysSecret:  "密钥",
		TranslateKeysURL:     "服务器地址（LibreTranslate）",
		TranslateKeysHint:    "单词离线翻译；句子发送到此服务。密钥保存在系统钥匙环（或仅本人可读的文件）中。",
		AboutDictionary:      "英汉词典",
	} {
		catalogues[Chinese][k] = v
	}
}
